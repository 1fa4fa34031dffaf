"""The durable mirror path: accept (commit before the client's answer) and deliver.

`accept(targets, records, request_id, writes=...)` returns once the records are
committed to the store, with the rest of the request's writes. Concurrent requests
share one transaction (proxy/delivery/committer.py). A worker per upstream then
delivers (proxy/delivery/worker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ..model import Assessment, Span, replace, subject_key
from ..store import Delivering
from ..store.writes import Writes
from ..upstream import Transport
from .committer import GroupCommit
from .target import Target
from .worker import Worker

log = logging.getLogger("proxy.delivery")


class Outbox:
    def __init__(
        self,
        store: Delivering,
        transport: Transport,
        upstreams: list[str],
        target_for,
        settings_for,
        metrics,
        replies_kept: float = 0,
    ):
        self.store, self.metrics = store, metrics
        self.replies_kept = replies_kept  # seconds a repeated POST's answer is kept (config dedupe_window)
        self.commit = GroupCommit(store)
        self.workers = {
            name: Worker(name, target_for, store, transport, settings_for(name), metrics, self.commit)
            for name in upstreams
        }
        metrics.watch_workers(self.workers)
        self._tasks: list[asyncio.Task] = []

    async def accept(
        self,
        targets: tuple[Target, ...],
        records: list[Assessment],
        request_id: str,
        route: int | None = None,
        reply: tuple[str, bytes] | None = None,
    ) -> None:
        """Commit the records for each target (and the answer a retry must get); return once durable."""
        writes = Writes(replies=[reply] if reply else [])
        self.stage(targets, records, request_id, route, writes)
        await self.settle(writes)

    def stage(
        self,
        targets: tuple[Target, ...],
        records: list[Assessment],
        request_id: str,
        route: int | None,
        writes: Writes,
        fresh: frozenset[str] = frozenset(),
    ) -> None:
        """Add an outbox row per (target, record) to `writes`, but where the target's mapping
        declares it cannot take the record at all (a declared loss, not a failure). `fresh`: the
        ids of the records the request made (Target.ready)."""
        if route is not None and targets:
            records = [replace(r, origin={**r.origin, "route": route}) for r in records]
        writes.arrived += [(None, r.id) for r in records if isinstance(r, Span)]  # feedback waiting for it: due now
        for t in targets:
            for rec in records:
                loss, lacks = t.refusals(rec, rec.id in fresh)
                if loss is not None and self._after_its_create(t, rec, fresh):
                    loss = None  # the worker decides, after the create
                if loss is None:
                    self._queue(t, rec, request_id, writes, lacks)
                else:
                    self.metrics.skipped(t.name)
                    log.info(
                        "request %s: %s skipped for %s: %s", request_id, f"{rec.op} on a {rec.entity}", t.name, loss
                    )

    def _queue(self, t: Target, rec, request_id: str, writes: Writes, why: str | None) -> None:
        """An outbox row for the record; one that waits from the start where the upstream cannot take it
        before the span it is about arrives (`why`: Target.lacks_its_span): no worker claims it before that
        span, as one would after refusing it (a claim, an encode, a retry each). The span's arrival, at
        any instance, releases it through the store, and a span stored before the row is committed makes
        it due at once (Writes.parked): its timer is only a safety net, the retry policy's longest wait."""
        if why is None:
            writes.outbox.append((t.name, rec, request_id))
            return
        worker, key = self.workers[t.name], subject_key(rec)
        at = time.time() + worker.policy.max_interval
        writes.parked.append((t.name, rec, request_id, key, at, f"waiting: {why}"))
        worker.settle.waiting.add(key)  # its arrival wakes that worker (settle)
        log.info("record %s for %s waits for what it lacks: %s", rec.id, t.name, why)

    def _after_its_create(self, t: Target, rec, fresh: frozenset[str]) -> bool:
        """A change of an assessment (a delete, removal or update) that this upstream could take once it has
        named the assessment, while the create it would be named in may still wait in the outbox (a delete
        right after its score): not a loss yet. The outbox sends a record's rows in order."""
        if not isinstance(rec, Assessment) or rec.op not in ("delete", "remove", "update") or rec.id in fresh:
            return False
        if self.store.delivered(t.name, rec.id) is not None:
            return False  # the create arrived: what the upstream named it is known, and the loss is real
        return t.takes_once_named(rec)

    async def settle(self, writes: Writes) -> None:
        """Commit a request's writes (group commit); once it returns the proxy owns their delivery."""
        await self.commit(writes)
        if writes.outbox or writes.parked:
            self.metrics.accepted(len(writes.outbox) + len(writes.parked))
        woken = {name for name, _, _ in writes.outbox}
        arrived = {key for _, key in writes.arrived}
        for name, worker in self.workers.items():  # a span's arrival frees what a worker parked for it
            if worker.settle.waiting & arrived:
                worker.settle.waiting -= arrived
                woken.add(name)
        for name in woken:
            self.workers[name].wake.set()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(w.run(), name=f"deliver:{n}") for n, w in self.workers.items()]
        for task in self._tasks:
            task.add_done_callback(_ended)
        if self.replies_kept:
            self._tasks.append(loop.create_task(self._prune_replies(), name="prune-replies"))

    async def _prune_replies(self) -> None:
        """Answers kept for repeated POSTs are dropped once older than the window (else the
        table only grows): every minute, or every window if shorter, off the event loop."""
        while True:
            await asyncio.sleep(min(60.0, self.replies_kept))
            try:
                await asyncio.to_thread(self.store.prune_replies, self.replies_kept)
            except Exception as exc:  # the next round tries again
                log.warning("pruning kept answers failed: %s", exc)

    async def stop(self, grace: float = 0.0) -> None:
        """Stop delivering. With a `grace` (seconds): no new claim or send, and the sends in flight
        end (each within its upstream's timeout) and their outcome is committed before this
        returns; what is still running after `grace` is cancelled. Nothing claimed and unsent
        is kept from the next start: it is given back."""
        if grace > 0:
            for w in self.workers.values():
                w.stop()
            workers = [t for t in self._tasks if t.get_name().startswith("deliver:")]
            done, running = await asyncio.wait(workers, timeout=grace) if workers else (set(), set())
            if running:
                log.warning("%d delivery worker(s) still sending after %g s: cancelled", len(running), grace)
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks = []

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due in the outbox (tests, and a graceful stop)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if not await asyncio.to_thread(self.store.depth):
                return True
            await asyncio.sleep(0.05)
        return False


def _ended(task: asyncio.Task) -> None:
    """A worker runs until stopped (its failed rounds are retried): one that ends otherwise says so."""
    if not task.cancelled() and task.exception() is not None:
        log.critical("%s ended: %r; its upstream gets nothing more until a restart", task.get_name(), task.exception())
