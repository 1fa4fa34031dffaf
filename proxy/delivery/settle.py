"""What becomes of an outbox item that is not delivered: skipped (nothing to send), parked
until what it lacks arrives, retried after a back-off, or buried as a dead letter. The store
side of a worker's settling (worker.py): each outcome is added to a `Writes`, so the items of
a round are settled in one transaction (before: a transaction each). Two decisions read the
store: whether a row waits until its upstream has the span it is about, and whether a row due
by its safety net still waits as it did (then it is parked again without a plan)."""

from __future__ import annotations

import logging
import time

from ..errors import Refusal
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

    def until_it_has_the_span(self, target, it: OutboxItem, store, writes: Writes) -> bool:
        """Feedback about a span (or trace) this upstream is also being sent waits until the
        upstream has it: an upstream may refuse feedback about a span it does not have (its mapping
        says so), and a span and its score claimed together would otherwise race. True: parked for it."""
        rec, key = it.record, subject_key(it.record)
        if key is None or (rec.span_id or rec.trace_id).vendor == target.vendor:
            return False
        kind = "span" if rec.span_id is not None else "trace"
        span = store.get_span(key)
        if span is None or target.mapping.declared_loss(span) is not None:
            return False
        if store.delivered(self.upstream, key) is not None:
            return False
        self.refused(
            it, Refusal.of(f"waiting for the {kind} it is about ({key}) to reach {self.upstream}", kind), writes
        )
        return True

    def still_waiting(self, it: OutboxItem, store, writes: Writes) -> bool:
        """A row parked for the span it is about, due by its safety net (its `waits_for` still set: the
        span's arrival clears it), while the proxy knows no such span, under its id or the id it was
        made from: parked again as it is, with no plan. A plan (refreshed, its print checked, encoded)
        would refuse it for what it refused it before: this process's mapping parked it for lacking
        what only the span brings (its key is in `waiting`), and nothing of the span can give it that.
        Rows whose spans never came were each planned ~5 times until park_ttl, a log line each time."""
        rec, key = it.record, it.waits_for
        if (
            key is None
            or key not in self.waiting
            or rec.span_id is None
            or rec.trace_id is not None
            or time.time() - it.created_at >= self.park_ttl
            or store.span_named(rec.span_id.vendor, rec.span_id.value) is not None
        ):
            return False
        wait = self.policy.safety_net(it.attempts + 1)
        writes.retried.append((it.id, time.time() + wait, it.last_error, False, key))
        return True

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
