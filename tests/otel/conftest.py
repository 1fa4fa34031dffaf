"""OpenTelemetry through a live proxy: a fake OTLP collector (proxy/testing_otel.py) as the
upstream `otel`, beside the session's fake Opik, Tracia and Scale."""

from __future__ import annotations

import pytest

from proxy.testing import FakeServer, FakeVendor

COLLECTOR_HEADERS = {"Authorization": "Bearer collector-upstream-key"}
APP_HEADERS = {"Authorization": "Bearer otel-app-key"}  # what the instrumented app sends: never to reach an upstream


@pytest.fixture(scope="session")
def collector():
    server = FakeServer(FakeVendor("otel")).__enter__()
    yield server
    server.__exit__(None, None, None)


@pytest.fixture
def otel_upstream(collector):
    """The fake collector, emptied for the test."""
    collector.vendor.received.clear()
    collector.vendor.faults.clear()
    return collector.vendor


@pytest.fixture
def otel_proxy(live_proxy, collector, otel_upstream):
    """otel_proxy(routes, options={...}, **config) -> URL of a live proxy whose upstreams are the
    session's fakes and `otel`, the fake collector (its `options`: e.g. {"encoding": "json"})."""

    def start(routes: list[dict], options: dict | None = None, **extra) -> str:
        otel = {"vendor": "otel", "base_url": collector.url, "headers": COLLECTOR_HEADERS, "timeout": 5,
                "options": options or {}}
        return live_proxy(routes, upstream_patch={"otel": otel}, **extra)

    return start


@pytest.fixture(autouse=True)
def _no_app_key_upstream(upstreams, otel_upstream):
    """No request any fake received carried the app's key."""
    yield
    for fake in (*upstreams.values(), otel_upstream):
        for r in fake.received:
            assert not any(APP_HEADERS["Authorization"] in v for v in r.headers.values()), (fake.name, r.path)
