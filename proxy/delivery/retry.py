"""How long to wait before trying an upstream again, when to give up, and when
to stop trying for a while (the circuit breaker).

Defaults are the OpenTelemetry Collector's `retry_on_failure`: first wait 5 s,
x1.5 each time, 30 s cap, give up after 300 s of trying; retry on connection
errors, timeouts, 408, 429, 500, 502, 503, 504, honouring Retry-After; any
other 4xx is permanent.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


_JITTER = random.Random()  # its own generator: the global one stays the caller's (tests seed it)


@dataclass(frozen=True)
class RetryPolicy:
    initial_interval: float = 5.0
    multiplier: float = 1.5
    max_interval: float = 30.0
    max_elapsed: float = 300.0
    max_attempts: int | None = None
    jitter: float = 0.5  # the wait is drawn from [1 - jitter, 1 + jitter] x the interval

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """The wait after `attempts` failed attempts (1 = the first failure)."""
        interval = min(self.initial_interval * self.multiplier ** (attempts - 1), self.max_interval)
        wait = interval * _JITTER.uniform(1 - self.jitter, 1 + self.jitter)
        return max(wait, retry_after) if retry_after is not None else wait

    def safety_net(self, looks: int) -> float:
        """The wait of a row that its span's (or trace's) arrival releases, after `looks` looks that
        found it still missing: `max_interval`, doubled each time (with the jitter). The release
        does not wait for it; it only catches an arrival whose release missed the row (two
        instances' transactions crossing), so looking every `max_interval` until `park_ttl` was
        only cost: a full plan of each waiting row every 30 s (bench/RESULTS.md, sitting 9)."""
        interval = self.max_interval * 2 ** min(looks, 16)
        return interval * _JITTER.uniform(1 - self.jitter, 1 + self.jitter)

    def exhausted(self, attempts: int, created_at: float, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return True
        return now - created_at >= self.max_elapsed


class Breaker:
    """Open after `failures` failures in a row; after `cooldown` s one probe may pass (half-open)."""

    def __init__(self, failures: int = 5, cooldown: float = 30.0):
        self.threshold, self.cooldown = failures, cooldown
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if time.monotonic() - self.opened_at >= self.cooldown else "open"

    def allows(self) -> bool:
        return self.state != "open"

    def wait(self) -> float:
        return 0.0 if self.opened_at is None else max(0.0, self.cooldown - (time.monotonic() - self.opened_at))

    def success(self) -> None:
        self.failures, self.opened_at = 0, None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number; an HTTP date counts as unknown)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
