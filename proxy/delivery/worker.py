"""One upstream's delivery loop: claim due outbox items, encode them in batches,
send, and settle each item: done, retry later, or dead letter.

    claim (at most batch_max, one per record) -> encode (grouped: one Opik PUT
    carries up to 1000 scores) -> send (at most `concurrency` at once)
    -> 2xx: done, learn the vendor's ids | retryable: back off | else: dead letter
"""

from __future__ import annotations

import asyncio
import logging
import time

from ..errors import UpstreamError
from ..model import OutRequest
from ..store import codec
from ..store.outbox import OutboxItem
from ..upstream import Response, Transport
from .retry import RETRYABLE, Breaker, RetryPolicy, retry_after
from .target import Target

log = logging.getLogger("proxy.delivery")


class Worker:
    def __init__(self, upstream: str, target_for, store, transport: Transport, settings, metrics):
        self.upstream, self.store, self.transport, self.metrics = upstream, store, transport, metrics
        self.target_for = target_for  # (upstream, route index) -> Target with that route's overrides
        s = settings
        self.batch_max, self.linger, self.lease = s.batch_max, s.linger_ms / 1000, s.lease_seconds
        self.policy = RetryPolicy(s.retry.initial_interval, s.retry.multiplier, s.retry.max_interval, s.retry.max_elapsed, s.retry.max_attempts)
        self.breaker = Breaker(s.breaker.failures, s.breaker.cooldown)
        self.sending = asyncio.Semaphore(s.concurrency)
        self.wake = asyncio.Event()
        self.poll = s.poll_interval
        self.last_error: str | None = None

    async def run(self) -> None:
        while True:
            if not self.breaker.allows():
                await asyncio.sleep(self.breaker.wait())
            items = await asyncio.to_thread(self.store.claim, self.upstream, self.batch_max, self.lease)
            if not items:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), self.poll)
                except asyncio.TimeoutError:
                    pass
                if self.linger:
                    await asyncio.sleep(self.linger)
                continue
            await self.deliver(items)

    async def deliver(self, items: list[OutboxItem]) -> None:
        items = self._not_yet_delivered(items)
        by_route: dict = {}
        for it in items:
            by_route.setdefault(it.record.origin.get("route"), []).append(it)
        sends = []
        for route, group in by_route.items():
            target = self.target_for(self.upstream, route)
            by_record = {it.record.id: it for it in group}
            requests, refused = target.encode([it.record for it in group])
            for rec, why in refused:
                self._bury(by_record[rec.id], f"cannot be written for {self.upstream}: {why}")
            sends += [self._send(target, req, [by_record[r.id] for r in req.records]) for req in requests]
        await asyncio.gather(*sends)

    def _not_yet_delivered(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Effectively once: an item this upstream already acknowledged (a row claimed again
        after a crash between the answer and the bookkeeping) is settled without a send."""
        fresh, already = [], []
        for it in items:
            (already if self.store.delivered(self.upstream, it.record.id) == codec.fingerprint(it.record) else fresh).append(it)
        if already:
            self.store.done([it.id for it in already])
            log.info("%d record(s) already delivered to %s: not sent again", len(already), self.upstream)
        return fresh

    async def _send(self, target: Target, req: OutRequest, items: list[OutboxItem]) -> None:
        async with self.sending:
            try:
                resp = await target.send(self.transport, req)
            except UpstreamError as exc:
                return self._failed(items, exc.message, None)
        if resp.status < 300:
            return self._delivered(target, req, resp, items)
        text = resp.body[:300].decode(errors="replace")
        why = f"{self.upstream} answered {resp.status} to {req.method} {req.path}: {text}"
        if resp.status in RETRYABLE:
            return self._failed(items, why, retry_after(resp.headers.get("retry-after")))
        self.breaker.success()  # the upstream is up; it refused these records
        for it in items:
            self._bury(it, why)

    def _delivered(self, target: Target, req: OutRequest, resp: Response, items: list[OutboxItem]) -> None:
        self.breaker.success()
        target.learn_from(req, resp)
        self.store.mark_delivered(self.upstream, [(it.record.id, codec.fingerprint(it.record)) for it in items])
        self.store.done([it.id for it in items])
        now = time.time()
        for it in items:
            self.metrics.delivered(self.upstream, now - it.created_at)
        log.info("delivered %d record(s) to %s: %s %s -> %d (requests %s)", len(items), self.upstream, req.method, req.path, resp.status,
                 ",".join(sorted({it.request_id for it in items}))[:200])

    def _failed(self, items: list[OutboxItem], why: str, wait_hint: float | None) -> None:
        self.breaker.failure()
        self.last_error = why
        for it in items:
            attempts = it.attempts + 1
            if self.policy.exhausted(attempts, it.created_at):
                self._bury(it, f"gave up after {attempts} attempt(s): {why}")
            else:
                self.store.retry(it.id, time.time() + self.policy.delay(attempts, wait_hint), why)
                self.metrics.retried(self.upstream)
        log.warning("delivery to %s failed for %d record(s), breaker %s: %s", self.upstream, len(items), self.breaker.state, why)

    def _bury(self, it: OutboxItem, why: str) -> None:
        self.store.bury(it.id, why)
        self.last_error = why
        self.metrics.dead(self.upstream)
        log.error("dead letter %d (request %s) for %s: %s", it.id, it.request_id, self.upstream, why)
