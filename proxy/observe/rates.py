"""Counts over the last minute, by key, in one-second buckets: cheap enough to call once
per delivered record (a 1,000-score batch calls it 1,000 times)."""

from __future__ import annotations

import time
from collections import deque


class RateWindow:
    def __init__(self, seconds: int = 60):
        self.seconds = seconds
        self._buckets: dict[str, deque] = {}  # key -> deque of [second, count], oldest first

    def add(self, key: str, n: int = 1, now: float | None = None) -> None:
        second = int(time.time() if now is None else now)
        buckets = self._buckets.get(key)
        if buckets is None:
            buckets = self._buckets[key] = deque()
        if buckets and buckets[-1][0] == second:
            buckets[-1][1] += n
        else:
            buckets.append([second, n])
            while buckets and buckets[0][0] <= second - self.seconds:
                buckets.popleft()

    def count(self, key: str, now: float | None = None) -> int:
        """How many were added in the last `seconds` seconds."""
        since = int(time.time() if now is None else now) - self.seconds
        return sum(n for second, n in self._buckets.get(key, ()) if second > since)

    def per_second(self, key: str, now: float | None = None) -> float:
        return round(self.count(key, now) / self.seconds, 2)

    def total(self, now: float | None = None) -> int:
        return sum(self.count(key, now) for key in list(self._buckets))
