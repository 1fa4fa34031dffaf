"""A mirror's lag, read from a proxy's /metrics: feedback_proxy_delivery_lag_seconds{upstream}
(from a record's acceptance to its delivery acknowledged by that upstream; proxy/metrics.py).

Its p50 and p99 are interpolated linearly within the histogram's buckets (as Prometheus's
histogram_quantile does): a figure is exact to within the width of the bucket it falls in
(about x1.5 apart from 5 ms to 60 s).
"""

from __future__ import annotations

import re
import time
import urllib.request

LAG = "feedback_proxy_delivery_lag_seconds"
_BUCKET = re.compile(LAG + r'_bucket\{le="([^"]+)",upstream="([^"]+)"\} (\S+)')
_DEPTH = re.compile(r'feedback_proxy_queue_depth\{upstream="([^"]+)"\} (\S+)')
STILL_S = 6.0  # an outbox this long unchanged has stopped draining: longer than a retry timer's first wait (5 s)


def scrape(url: str) -> str:
    return urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()


def buckets(text: str, upstream: str) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) of the upstream's lag histogram, in order."""
    out = [(float(le), float(n)) for le, up, n in _BUCKET.findall(text) if up == upstream]
    return sorted(out)


def quantile(q: float, cumulative: list[tuple[float, float]]) -> float | None:
    """The q-quantile, interpolated within its bucket (the first bucket starts at 0); None: no observation."""
    total = cumulative[-1][1] if cumulative else 0
    if not total:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for upper, count in cumulative:
        if count >= rank:
            if upper == float("inf"):
                return lower  # past the last finite bound: all that can be said is "at least"
            return lower + (upper - lower) * (rank - below) / (count - below) if count > below else upper
        lower, below = upper, count
    return lower


def depth(text: str, upstream: str) -> float:
    return sum(float(n) for up, n in _DEPTH.findall(text) if up == upstream)


def mirror_lag(url: str, upstream: str, drain_s: float = 15.0) -> dict:
    """The lag's p50/p99 (seconds) and count of the proxy at `url` for `upstream`, once its outbox
    for it is empty or has stopped changing for STILL_S, at most `drain_s` after the call (so the
    records still queued when the load stopped count too); `waiting`: what was left queued."""
    deadline, last, still_since = time.time() + drain_s, None, time.time()
    while True:
        text = scrape(url)
        left = depth(text, upstream)
        if left != last:
            last, still_since = left, time.time()
        if not left or time.time() - still_since >= STILL_S or time.time() >= deadline:
            break
        time.sleep(0.1)
    cum = buckets(text, upstream)
    return {
        "p50": quantile(0.5, cum),
        "p99": quantile(0.99, cum),
        "delivered": cum[-1][1] if cum else 0,
        "waiting": left,
    }


def describe(lag: dict, upstream: str) -> str:
    if not lag["delivered"]:
        return f"nothing delivered to {upstream} ({lag['waiting']:.0f} waiting)"
    return (
        f"lag to {upstream} p50 {lag['p50'] * 1000:.0f} ms, p99 {lag['p99'] * 1000:.0f} ms over "
        f"{lag['delivered']:.0f} deliveries (interpolated within the buckets of {LAG})"
        + (f"; {lag['waiting']:.0f} still waiting, not in these figures" if lag["waiting"] else "")
    )
