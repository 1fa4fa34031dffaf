"""The retry numbers and the circuit breaker."""

from __future__ import annotations

import time

from proxy.delivery.retry import Breaker, RetryPolicy, retry_after


def test_backoff_grows_by_the_multiplier_up_to_the_cap_within_jitter():
    p = RetryPolicy(initial_interval=5, multiplier=1.5, max_interval=30, jitter=0.5)
    for attempts, interval in ((1, 5), (2, 7.5), (3, 11.25), (6, 30), (20, 30)):
        waits = [p.delay(attempts) for _ in range(200)]
        assert interval * 0.5 <= min(waits) and max(waits) <= interval * 1.5


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
