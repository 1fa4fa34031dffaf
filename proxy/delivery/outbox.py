"""The durable mirror path: accept (commit before the client's answer) and deliver.

`accept(targets, records, request_id)` returns once the records are committed
to the store. Concurrent requests share one transaction (group commit): the
first waiter writes everything that queued up meanwhile. A worker per upstream
then delivers (proxy/delivery/worker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from ..model import Assessment
from ..upstream import Transport
from .target import Target
from .worker import Worker

log = logging.getLogger("proxy.delivery")


class Outbox:
    def __init__(self, store, transport: Transport, upstreams: list[str], target_for, settings_for, metrics):
        self.store, self.metrics = store, metrics
        self.workers = {name: Worker(name, target_for, store, transport, settings_for(name), metrics) for name in upstreams}
        self._pending: list[tuple[list, list, asyncio.Future]] = []
        self._writing = False
        self._tasks: list[asyncio.Task] = []

    async def accept(self, targets: tuple[Target, ...], records: list[Assessment], request_id: str, route: int | None = None,
                     reply: tuple[str, bytes] | None = None) -> None:
        """Commit the records for each target (and the answer a retry must get); return once durable."""
        if route is not None:
            records = [dataclasses.replace(r, origin={**r.origin, "route": route}) for r in records]
        rows = []
        for t in targets:
            for rec in records:
                loss = t.declared_loss(rec)
                if loss is None:
                    rows.append((t.name, rec, request_id))
                else:  # the mapping says this vendor has no place for it: a declared loss, not a failure
                    self.metrics.skipped(t.name)
                    log.info("request %s: %s skipped for %s: %s", request_id, f"{rec.op} on a {rec.entity}", t.name, loss)
        replies = [reply] if reply else []
        if not rows and not replies:
            return
        future = asyncio.get_running_loop().create_future()
        self._pending.append((rows, replies, future))
        if not self._writing:
            self._writing = True
            asyncio.get_running_loop().create_task(self._commit())
        await future
        self.metrics.accepted(len(rows))
        for name in {t.name for t in targets}:
            self.workers[name].wake.set()

    async def _commit(self) -> None:
        """Group commit: everything queued while the previous transaction ran goes in the next one."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                rows = [row for r, _, _ in batch for row in r]
                replies = [rep for _, r, _ in batch for rep in r]
                try:
                    await asyncio.to_thread(self.store.enqueue, rows, replies)
                except Exception as exc:  # the store failed: every waiter hears of it
                    log.error("outbox commit of %d request(s) failed: %s", len(batch), exc)
                    for _, _, f in batch:
                        f.set_exception(exc)
                else:
                    for _, _, f in batch:
                        f.set_result(None)
        finally:
            self._writing = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(w.run(), name=f"deliver:{n}") for n, w in self.workers.items()]

    async def stop(self) -> None:
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
