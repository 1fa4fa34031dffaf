"""The retry numbers and the circuit breaker."""

from __future__ import annotations

import time

from proxy.delivery.retry import Breaker, RetryPolicy, retry_after
from proxy.delivery.settle import Settle
from proxy.errors import Refusal
from proxy.model import Assessment, Ref, subject_key
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
