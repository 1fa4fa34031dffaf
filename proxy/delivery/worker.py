"""One upstream's delivery loop: claim due outbox items, encode them in batches,
send, and settle each item: done, retry later, or dead letter.

    claim (at most batch_max, one per record) -> encode (grouped: one Opik PUT
    carries up to 1000 scores) -> send (at most `concurrency` at once)
    -> 2xx: done, learn the vendor's ids | retryable: back off | else: dead letter
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time

from ..errors import EncodeError, UpstreamError
from ..mapping.vendor import skipped
from ..model import OutRequest
from ..observe import delivering
from ..resolve import refresh
from ..store import Delivering, codec
from ..store.outbox import OutboxItem
from ..store.writes import Writes
from ..upstream import Response, Transport
from .committer import GroupCommit
from .once import before_a_create
from .retry import RETRYABLE, Breaker, RetryPolicy, retry_after
from .settle import Settle
from .tally import Tally
from .target import Target

log = logging.getLogger("proxy.delivery")

ROUND_BACKOFF_MAX = 10.0  # seconds after failed rounds in a row: the poll interval, doubled per failure, up to this


class Worker:
    def __init__(
        self,
        upstream: str,
        target_for,
        store: Delivering,
        transport: Transport,
        settings,
        metrics,
        commit: GroupCommit | None = None,
    ):
        self.upstream, self.store, self.transport, self.metrics = upstream, store, transport, metrics
        self.commit = commit or GroupCommit(store)  # the requests' (committer.py): bookkeeping joins their transactions
        self.target_for = target_for  # (upstream, route index) -> Target with that route's overrides
        s = settings
        self.batch_max, self.linger, self.lease = s.batch_max, s.linger_ms / 1000, s.lease_seconds
        self.policy = RetryPolicy(
            s.retry.initial_interval,
            s.retry.multiplier,
            s.retry.max_interval,
            s.retry.max_elapsed,
            s.retry.max_attempts,
        )
        self.breaker = Breaker(s.breaker.failures, s.breaker.cooldown)
        self.sending = asyncio.Semaphore(s.concurrency)
        self.wake = asyncio.Event()
        self.poll = s.poll_interval
        self.settle = Settle(upstream, metrics, self.policy, s.park_ttl)  # what is not delivered
        self.problem: str | None = None  # why its last round failed; None: it works
        self._unreleased: list[int] = []  # what a failed round claimed: given back by the next round
        self.paused_until = 0.0  # Retry-After pauses the whole upstream: nothing is sent to it before (monotonic)
        self.stopping = False  # stop(): no new claim, no new send; what is in flight ends and is settled
        self.in_flight = 0  # sends made whose outcome is not committed yet (what cancelling the worker cuts off)

    @property
    def last_error(self) -> str | None:
        return self.settle.last_error

    @property
    def up(self) -> bool:
        """Whether its last round worked (/readyz, /metrics' feedback_proxy_worker_up, /ui)."""
        return self.problem is None

    def stop(self) -> None:
        """A graceful stop: run() returns once the sends in flight have been answered (or timed
        out) and their outcome committed; claimed items not yet sent are given back."""
        self.stopping = True
        self.wake.set()

    async def run(self) -> None:
        """Rounds until stopped (or cancelled). A round that fails (the store locked past its
        busy timeout, a commit refused) is logged, and the next is tried after a back-off;
        meanwhile `problem` says why this upstream's deliveries are stalled."""
        failures = 0
        while not self.stopping:
            try:
                await self.round()
            except Exception as exc:
                failures += 1
                self.problem = f"{type(exc).__name__}: {exc}"
                wait = min(ROUND_BACKOFF_MAX, self.poll * 2 ** min(failures - 1, 30))  # no float overflow, however long
                log.error(
                    "delivery round for %s failed (%d in a row), next in %.1f s: %s",
                    self.upstream,
                    failures,
                    wait,
                    self.problem,
                    exc_info=failures == 1,
                )
                await self._idle(wait)
            else:
                if failures:
                    log.info("deliveries to %s resumed after %d failed round(s)", self.upstream, failures)
                failures, self.problem = 0, None

    async def round(self) -> None:
        """Claim what is due and deliver it; with nothing due, wait for a wake-up or the poll interval."""
        if self._unreleased:
            await asyncio.to_thread(self.store.release, self._unreleased)
            self._unreleased = []
        await self._hold()
        if self.stopping:
            return
        items = await asyncio.to_thread(self.store.claim, self.upstream, self.batch_max, self.lease)
        if not items:
            self.wake.clear()
            await self._idle(self.poll)
            if self.linger and not self.stopping:
                await asyncio.sleep(self.linger)
            return
        await self.deliver(items)

    async def _idle(self, seconds: float) -> None:
        """Wait `seconds`, or less if woken (a record accepted, a stop)."""
        if not self.stopping:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), seconds)

    async def deliver(self, items: list[OutboxItem]) -> None:
        """Send what the items need and settle each. Should the store fail meanwhile, every send
        still ends first, then the items are given back at the next round (`_unreleased`)."""
        try:
            tally = Tally()
            sends = []
            # from a thread, with the store throughout: a store waiting on a lock never stalls the event loop
            planned, settled = await asyncio.to_thread(self._plan, items)
            await self.commit(settled)  # the items with nothing to send, in one transaction
            for target, req, carried in planned:
                tally.expect(carried)
                sends.append(self._send(target, req, carried, tally))
            failed = [r for r in await asyncio.gather(*sends, return_exceptions=True) if isinstance(r, BaseException)]
            if failed:
                raise failed[0]
        except Exception:
            self._unreleased += [it.id for it in items]
            raise

    def _plan(self, items: list[OutboxItem]) -> tuple[list[tuple[Target, OutRequest, list[OutboxItem]]], Writes]:
        """What to send for the claimed items (each request with the items it carries), and how the
        items with nothing to send are settled (to commit). It reads the store throughout."""
        settled = Writes()
        items = [it for it in items if not self.settle.still_waiting(it, self.store, settled)]  # parked again
        # refreshed first: what was delivered is printed as sent, i.e. refreshed
        items = self._not_yet_delivered(
            [dataclasses.replace(it, record=refresh(self.store, it.record)) for it in items], settled
        )
        by_route: dict = {}
        for it in items:
            by_route.setdefault(it.record.origin.get("route"), []).append(it)
        planned = []
        for route, group in by_route.items():
            target = self.target_for(self.upstream, route)
            group = [it for it in group if not self.settle.until_it_has_the_span(target, it, self.store, settled)]
            by_record = {it.record.id: it for it in group}
            requests, refused = target.encode([it.record for it in group])
            for rec, why in refused:
                (self.settle.skipped if skipped(why) else self.settle.refused)(by_record[rec.id], why, settled)
            planned += [(target, req, [by_record[r.id] for r in req.records]) for req in requests]
        return planned, settled

    def _not_yet_delivered(self, items: list[OutboxItem], settled: Writes) -> list[OutboxItem]:
        """Effectively once: an item this upstream already acknowledged (a row claimed again
        after a crash between the answer and the bookkeeping) is settled without a send."""
        fresh, already = [], []
        for it in items:
            (
                already if self.store.delivered(self.upstream, it.record.id) == codec.fingerprint(it.record) else fresh
            ).append(it)
        if already:
            settled.done += [it.id for it in already]
            log.info("%d record(s) already delivered to %s: not sent again", len(already), self.upstream)
        return fresh

    async def _send(self, target: Target, req: OutRequest, items: list[OutboxItem], tally: Tally) -> None:
        delivering(self.upstream, items)  # this task's log lines and upstream attempt name these records' requests
        # the slot is held until the outcome is committed: at most `concurrency` requests are ever
        # sent and not yet settled (what a crash can leave unknown: README, Delivery)
        async with self.sending:
            await self._hold(breaker=False)  # a send claimed before the breaker opened goes
            if self.stopping:  # not sent: due again at once, for the next start (or another instance)
                return await asyncio.to_thread(self.store.release, [it.id for it in tally.unsettled(items)])
            self.in_flight += 1
            try:
                await self._attempt(target, req, items, tally)
            finally:
                self.in_flight -= 1

    async def _attempt(self, target: Target, req: OutRequest, items: list[OutboxItem], tally: Tally) -> None:
        """Send one request and commit its outcome."""
        try:
            resp = (
                await before_a_create(self.commit, self.transport, self.upstream, target, req, items)
                if target.creates(req)
                else None
            )
            if resp is None:
                resp = await target.send(self.transport, req)
        except UpstreamError as exc:  # no answer: a create may have arrived all the same, unless it never left
            return await self._failed(tally.unsettled(items), exc.message, None, maybe_sent=not exc.unsent)
        except EncodeError as exc:  # its bytes could not be written (a mapping's wire.send): never sent, never will be
            return await self._settled(self.settle.bury_all, tally.unsettled(items), f"{self.upstream}: {exc.message}")
        if resp.status < 300:
            refused = target.rejected(req, resp)  # a 207: some items refused, each with its message
            if refused:
                buried = tally.unsettled([it for it in items if it.record.id in refused])
                why = f"{self.upstream} refused it ({resp.status} to {req.method} {req.path})"
                await self._settled(self.settle.bury_each, buried, refused, why)
                items = [it for it in items if it.record.id not in refused]
            return await self._delivered(target, req, resp, tally.arrived(items))
        text = resp.body[:300].decode(errors="replace")
        why = f"{self.upstream} answered {resp.status} to {req.method} {req.path}: {text}"
        if resp.status in RETRYABLE:
            return await self._failed(tally.unsettled(items), why, retry_after(resp.headers.get("retry-after")))
        self.breaker.success()  # the upstream is up; it refused these records
        await self._settled(self.settle.bury_all, tally.unsettled(items), why)

    async def _settled(self, outcome, *args) -> None:
        """Items not delivered, settled by `outcome` (a Settle method) and committed with the requests' writes."""
        writes = Writes()
        outcome(*args, writes)
        await self.commit(writes)

    async def _delivered(self, target: Target, req: OutRequest, resp: Response, items: list[OutboxItem]) -> None:
        """`items`: those whose every request has now arrived (a root span can be two: an Opik trace and a span)."""
        self.breaker.success()
        writes = Writes(done=[it.id for it in items])
        target.learn_from(req, resp, writes)
        target.delivered([it.record for it in items], writes)
        await self.commit(writes)
        if not items:
            return
        now = time.time()
        for it in items:
            self.metrics.delivered(self.upstream, now - it.created_at)
        log.info(
            "delivered %d record(s) to %s: %s %s -> %d (requests %s)",
            len(items),
            self.upstream,
            req.method,
            req.path,
            resp.status,
            ",".join(sorted({it.request_id for it in items}))[:200],
        )

    async def _hold(self, breaker: bool = True) -> None:
        """Wait while a Retry-After the upstream asked for (paused_until) runs, and with `breaker`
        while the breaker is open: a record accepted meanwhile wakes the loop, and it waits again."""
        while not self.stopping:
            left = self.paused_until - time.monotonic()
            if breaker and not self.breaker.allows():
                left = max(left, self.breaker.wait())
            if left <= 0:
                return
            await self._idle(left)
            self.wake.clear()

    async def _failed(
        self, items: list[OutboxItem], why: str, wait_hint: float | None, maybe_sent: bool = False
    ) -> None:
        self.breaker.failure()
        self.settle.last_error = why
        if wait_hint:  # the upstream asked for a pause: it applies to everything sent to it, not only these records
            self.paused_until = max(self.paused_until, time.monotonic() + wait_hint)
            log.warning("%s asked to wait %g s (Retry-After): nothing is sent to it before", self.upstream, wait_hint)
        await self._settled(self.settle.retry_all, items, why, wait_hint, maybe_sent, self.breaker.state)
