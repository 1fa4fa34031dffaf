"""The retry numbers and the circuit breaker."""

from __future__ import annotations

import time

from proxy.delivery.retry import Breaker, RetryPolicy, retry_after
from proxy.delivery.settle import Settle
from proxy.errors import Refusal
from proxy.model import Assessment, Ref, Span, replace, subject_key
from proxy.store import MemoryStore
from proxy.store.outbox import OutboxItem
from proxy.store.writes import Writes


def test_backoff_grows_by_the_multiplier_up_to_the_cap_within_jitter():
    p = RetryPolicy(initial_interval=5, multiplier=1.5, max_interval=30, jitter=0.5)
    for attempts, interval in ((1, 5), (2, 7.5), (3, 11.25), (6, 30), (20, 30)):
        waits = [p.delay(attempts) for _ in range(200)]
        assert interval * 0.5 <= min(waits) and max(waits) <= interval * 1.5


def test_a_row_waiting_for_its_span_is_looked_at_again_ever_later_past_the_cap():
    """Its span's arrival releases it; the safety net that catches a missed release backs off, doubling
    from max_interval, where a look every max_interval until park_ttl was a full plan each time."""
    p = RetryPolicy(initial_interval=5, multiplier=1.5, max_interval=30, jitter=0.5)
    for looks, interval in ((0, 30), (1, 60), (2, 120), (4, 480)):
        waits = [p.safety_net(looks) for _ in range(200)]
        assert interval * 0.5 <= min(waits) and max(waits) <= interval * 1.5
    assert RetryPolicy(jitter=0).safety_net(100) == 30 * 2**16  # bounded: no float overflow for an old row


def test_a_waiting_row_is_parked_on_the_safety_net_and_one_naming_nothing_on_its_retry_timer():
    policy = RetryPolicy(initial_interval=1, multiplier=1, max_interval=30, jitter=0)
    settle = Settle("scale", metrics=None, policy=policy, park_ttl=600)
    missing = Refusal.of("waiting for the span", "span")
    about_a_span = Assessment(op="upsert", entity="span", span_id=Ref("tracia", "sp_1"), name="q", value=1, id="r1")
    about_nothing = Assessment(op="upsert", entity="run", name="q", value=1, id="r2")
    writes = Writes()
    before = time.time()
    for n, rec in enumerate((about_a_span, about_nothing)):
        settle.refused(OutboxItem(n, "scale", rec, "req", attempts=2, created_at=before), missing, writes)
    (_, at_span, _, _, key), (_, at_nothing, _, _, none) = writes.retried
    assert key == subject_key(about_a_span) and none is None
    assert 30 * 2**3 <= at_span - before <= 30 * 2**3 + 1  # the fourth look: 240 s
    assert 1 <= at_nothing - before <= 2  # the retry policy's own wait


def test_retry_after_wins_when_longer():
    p = RetryPolicy(initial_interval=0.1, jitter=0)
    assert p.delay(1, retry_after=7) == 7
    assert p.delay(1, retry_after=0.01) == 0.1


def test_exhausted_by_age_or_attempts():
    now = time.time()
    p = RetryPolicy(max_elapsed=300)
    assert not p.exhausted(50, now - 299, now) and p.exhausted(1, now - 300, now)
    assert RetryPolicy(max_attempts=3).exhausted(3, now, now) and not RetryPolicy(max_attempts=3).exhausted(2, now, now)


def test_retry_after_header_values():
    assert retry_after("2") == 2.0 and retry_after("0.5") == 0.5
    assert (
        retry_after(None) is None and retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None and retry_after("-3") == 0.0
    )


def test_breaker_opens_after_failures_in_a_row_and_half_opens_after_cooldown():
    b = Breaker(failures=3, cooldown=0.1)
    b.failure(), b.failure()
    assert b.state == "closed" and b.allows()
    b.success()
    b.failure(), b.failure()
    assert b.state == "closed"
    b.failure()
    assert b.state == "open" and not b.allows() and 0 < b.wait() <= 0.1
    time.sleep(0.12)
    assert b.state == "half-open" and b.allows()
    b.success()
    assert b.state == "closed" and b.wait() == 0


def test_a_row_due_by_its_safety_net_is_parked_again_as_it_is_only_while_nothing_of_its_span_is_known():
    """Settle.still_waiting: True (parked again, no plan) only where a plan would refuse the row for what
    it refused it before; each case that could change that answer gives the row to the plan."""
    policy = RetryPolicy(initial_interval=1, multiplier=1, max_interval=30, jitter=0)
    settle = Settle("scale", metrics=None, policy=policy, park_ttl=600)
    store = MemoryStore()
    rec = Assessment(op="upsert", entity="span", span_id=Ref("tracia", "sp_1"), name="q", value=1, id="r1")
    key = subject_key(rec)
    now = time.time()

    def item(**over) -> OutboxItem:
        fields = dict(record=rec, attempts=1, created_at=now - 40, last_error="waiting: scale lacks trace_id")
        return OutboxItem(7, "scale", request_id="req", **{**fields, "waits_for": key, **over})

    def looked(it: OutboxItem) -> list:
        writes = Writes()
        return writes.retried if settle.still_waiting(it, store, writes) else None

    assert looked(item()) is None  # this process never parked it (a restart, another mapping): a plan decides
    settle.waiting.add(key)
    [(row, at, error, maybe_sent, waits_for)] = looked(item())
    assert (row, error, maybe_sent, waits_for) == (7, "waiting: scale lacks trace_id", False, key)
    assert 30 * 2**2 <= at - now <= 30 * 2**2 + 1  # its next look on the safety net, as a plan's refusal sets it
    assert looked(item(waits_for=None)) is None  # released by its span's arrival
    assert looked(item(created_at=now - 601)) is None  # past park_ttl: the plan buries it
    assert looked(item(record=replace(rec, trace_id=Ref("tracia", "tr_1")))) is None  # it waits for something else
    # a release that missed it: the span came from Tracia, the row is about the Opik span made from it
    store.remember_id("tracia", "sp_1", "opik", "uuid-1")
    about_opik = replace(rec, span_id=Ref("opik", "uuid-1"))
    settle.waiting.add(subject_key(about_opik))
    assert looked(item(record=about_opik, waits_for=subject_key(about_opik)))  # nothing of the span yet
    store.put_span(key, Span(span_id=Ref("tracia", "sp_1"), trace_id=Ref("tracia", "tr_1")))
    assert looked(item(record=about_opik, waits_for=subject_key(about_opik))) is None  # found by its origin
    assert looked(item()) is None  # found under its own key
