"""What the fake upstreams' histories (proxy/vendors/<vendor>/fake.py) share: the time now as
a vendor writes it, a time read back, a window test and a page-size parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def when(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def positive_int(text: Any, default: int) -> int:
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return default


def in_window(at: Any, since: Any, until: Any) -> bool:
    t, lo, hi = when(at), when(since) if since else None, when(until) if until else None
    return t is not None and (lo is None or t >= lo) and (hi is None or t < hi)
