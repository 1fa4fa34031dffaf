"""What becomes of an outbox item that is not delivered: skipped (nothing to send), parked
until what it lacks arrives, retried after a back-off, or buried as a dead letter. The store
side of a worker's settling (worker.py): each outcome is added to a `Writes`, so the items of
a round are settled in one transaction (before: a transaction each)."""

from __future__ import annotations

import logging
import time

from ..model import subject_key
from ..store.outbox import OutboxItem
from ..store.writes import Writes
from .retry import RetryPolicy

log = logging.getLogger("proxy.delivery")


class Settle:
    def __init__(self, upstream: str, metrics, policy: RetryPolicy, park_ttl: float):
        self.upstream, self.metrics, self.policy, self.park_ttl = upstream, metrics, policy, park_ttl
        self.last_error: str | None = None  # the last failure or refusal, for /ui and the back-fill's summary
        # the spans (or traces) this process parked rows for: their arrival wakes this worker (outbox.py)
        self.waiting: set[str] = set()

    def retry_all(
        self,
        items: list[OutboxItem],
        why: str,
        wait_hint: float | None,
        maybe_sent: bool,
        breaker: str,
        writes: Writes,
    ) -> None:
        for it in items:
            attempts = it.attempts + 1
            if self.policy.exhausted(attempts, it.created_at):
                self.bury(it, f"gave up after {attempts} attempt(s): {why}", writes, maybe_sent)
            else:
                writes.retried.append(
                    (it.id, time.time() + self.policy.delay(attempts, wait_hint), why, maybe_sent, None)
                )
                self.metrics.retried(self.upstream)
        log.warning("delivery to %s failed for %d record(s), breaker %s: %s", self.upstream, len(items), breaker, why)

    def skipped(self, it: OutboxItem, why, writes: Writes) -> None:
        """The mapping says there is nothing to send for this record (e.g. a Tracia span that has
        not ended yet, or one Tracia already has): settled as done, never sent."""
        writes.done.append(it.id)
        self.metrics.skipped(self.upstream)
        log.info("record %s for %s not sent: %s", it.record.id, self.upstream, why)

    def refused(self, it: OutboxItem, why, writes: Writes) -> None:
        """A record that lacks a field may get it later (a score before its span; a span's
        update before its create): it waits, up to park_ttl, then becomes a dead letter."""
        waited = time.time() - it.created_at
        if getattr(why, "missing", None) and waited < self.park_ttl:
            # due as soon as the span (or trace) it is about arrives; meanwhile on a safety net that
            # backs off (RetryPolicy.safety_net); what names nothing to wait for, on its retry timer
            about = subject_key(it.record)
            wait = self.policy.delay(it.attempts + 1) if about is None else self.policy.safety_net(it.attempts + 1)
            writes.retried.append((it.id, time.time() + wait, f"waiting: {why}", False, about))
            if about is not None:
                self.waiting.add(about)
            log.info("record %s for %s waits for what it lacks: %s", it.record.id, self.upstream, why)
            return
        prefix = f"waited {waited:.0f} s; " if getattr(why, "missing", None) else ""
        self.bury(it, f"{prefix}cannot be written for {self.upstream}: {why}", writes)

    def bury_each(self, items: list[OutboxItem], whys: dict[str, str], prefix: str, writes: Writes) -> None:
        """Dead letters, each with its own reason (what a batch's answer said of it): `whys` by record id."""
        for it in items:
            self.bury(it, f"{prefix}: {whys[it.record.id]}", writes)

    def bury_all(self, items: list[OutboxItem], why: str, writes: Writes) -> None:
        for it in items:
            self.bury(it, why, writes)

    def bury(self, it: OutboxItem, why: str, writes: Writes, maybe_sent: bool = False) -> None:
        writes.buried.append((it.id, why, maybe_sent))
        self.waiting.discard(subject_key(it.record))  # bounded: another row still waiting on it falls back to the poll
        self.last_error = why
        self.metrics.dead(self.upstream)
        log.error("dead letter %d (request %s) for %s: %s", it.id, it.request_id, self.upstream, why)
