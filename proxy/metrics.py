"""Prometheus metrics, one registry per proxy (so tests can run several)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .observe import RateWindow, note_request
from .store import Outbox

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# seconds, about x1.5 apart from 5 ms to 60 s (a p50 or p99 read from them is within a bucket's width), then coarser
LAG_BUCKETS = (0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1)
LAG_BUCKETS += (1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 300, 1800, 3600)


class Metrics:
    def __init__(self, store: Outbox | None = None, upstreams=()):
        r = self.registry = CollectorRegistry()
        self.requests = _Tally(
            "feedback_proxy_requests",
            "Requests answered, by client vendor, endpoint and status",
            ("vendor", "endpoint", "status"),
        )
        r.register(self.requests)
        self.accepted_records = Counter(
            "feedback_proxy_accepted_records", "Records committed to the outbox", registry=r
        )
        self.deliveries = Counter(
            "feedback_proxy_deliveries",
            "Outbox records settled, by upstream and outcome",
            ["upstream", "outcome"],
            registry=r,
        )
        self.retries = Counter(
            "feedback_proxy_retries", "Failed delivery attempts that will be retried", ["upstream"], registry=r
        )
        self.lag = Histogram(
            "feedback_proxy_delivery_lag_seconds",
            "From a record's acceptance (its outbox row written) to its delivery acknowledged, by upstream",
            ["upstream"],
            registry=r,
            buckets=LAG_BUCKETS,
        )
        if store is not None:
            r.register(_QueueCollector(store, upstreams))
        # the last minute, for the operator UI (proxy/ui/): requests answered, by vendor; records delivered, by upstream
        self.recent_requests, self.recent_deliveries = RateWindow(), RateWindow()
        self._children: dict[tuple, object] = {}

    def _child(self, metric, *labels: str):
        """`metric.labels(*labels)`, kept: labels() takes a lock and builds its key each call
        (~4 µs against ~1). The label values are few: vendors, endpoints, statuses, upstreams."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def request(self, vendor: str, endpoint: str, status: int) -> None:
        self.requests.inc((vendor, endpoint, status))
        self.recent_requests.add(vendor)
        note_request(vendor, endpoint, status)  # the log lines of this request say what it was (proxy/observe)

    def accepted(self, n: int) -> None:
        self.accepted_records.inc(n)

    def delivered(self, upstream: str, seconds: float) -> None:
        self._child(self.deliveries, upstream, "delivered").inc()
        self.recent_deliveries.add(upstream)
        self._child(self.lag, upstream).observe(seconds)

    def skipped(self, upstream: str) -> None:
        self._child(self.deliveries, upstream, "skipped").inc()

    def retried(self, upstream: str) -> None:
        self._child(self.retries, upstream).inc()

    def dead(self, upstream: str) -> None:
        self._child(self.deliveries, upstream, "dead_letter").inc()

    def watch_workers(self, workers: dict) -> None:
        """feedback_proxy_worker_up{upstream}: 1 while an upstream's delivery worker works (delivery/worker.py)."""
        self.registry.register(_WorkersUp(workers))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Tally:
    """A counter by label values, counted on the event loop and read at scrape time: what a
    prometheus_client Counter exposes (`_total` and `_created`), at a sixth of its instructions a
    request (its labels() child takes a lock and checks its value; 1.3k against 6.9k, bench/RESULTS.md)."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]):
        self.name, self.documentation, self.labels = name, documentation, labels
        self._counts: dict[tuple, list] = {}  # label values -> [count, when first counted]

    def inc(self, values: tuple) -> None:
        count = self._counts.get(values)
        if count is None:
            count = self._counts[values] = [0, time.time()]
        count[0] += 1

    def collect(self):
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, (count, created) in list(self._counts.items()):
            family.add_metric([str(v) for v in values], count, created=created)
        yield family


class _QueueCollector:
    """Queue depth and oldest age per upstream, read from the store at scrape time: 0 for each
    configured upstream with nothing waiting (a dashboard shows 0, not "no data")."""

    def __init__(self, store: Outbox, upstreams=()):
        self.store, self.upstreams = store, tuple(upstreams)

    def collect(self):
        depth = GaugeMetricFamily(
            "feedback_proxy_queue_depth", "Outbox records waiting, by upstream", labels=["upstream"]
        )
        age = GaugeMetricFamily(
            "feedback_proxy_queue_oldest_seconds", "Age of the oldest waiting record, by upstream", labels=["upstream"]
        )
        now = time.time()
        for upstream, (count, oldest) in {**{name: (0, None) for name in self.upstreams}, **self.store.depth()}.items():
            depth.add_metric([upstream], count)
            age.add_metric([upstream], now - oldest if oldest else 0)
        yield depth
        yield age


class _WorkersUp:
    """Whether each upstream's delivery worker works: 0 while its rounds fail (the store locked or refusing writes)."""

    def __init__(self, workers: dict):
        self.workers = workers

    def collect(self):
        up = GaugeMetricFamily(
            "feedback_proxy_worker_up",
            "1 while the upstream's delivery worker works, 0 while its rounds fail",
            labels=["upstream"],
        )
        for name, worker in self.workers.items():
            up.add_metric([name], 1 if worker.up else 0)
        yield up
