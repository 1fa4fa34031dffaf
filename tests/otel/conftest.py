"""OpenTelemetry through a live proxy: the session's fake OTLP collector (proxy/vendors/otel/
fake.py) is the upstream `otel`, beside the fake Opik, Tracia and Scale."""

from __future__ import annotations

import pytest

from tests.conftest import CLIENT_HEADERS, UPSTREAM_HEADERS
from tests.sdk.conftest import opik_sdk  # noqa: F401 - fixture, re-exported

COLLECTOR_HEADERS = UPSTREAM_HEADERS["otel"]
APP_HEADERS = CLIENT_HEADERS["otel"]  # what the instrumented app sends: never to reach an upstream


@pytest.fixture
def otel_upstream(upstreams):
    """The fake collector, emptied for the test."""
    return upstreams["otel"]


@pytest.fixture
def otel_proxy(live_proxy, otel_upstream):
    """otel_proxy(routes, options={...}, **config) -> URL of a live proxy whose upstreams are the
    session's fakes, `otel` among them with these `options` (e.g. {"encoding": "json"})."""

    def start(routes: list[dict], options: dict | None = None, **extra) -> str:
        return live_proxy(routes, upstream_patch={"otel": {"options": options or {}}}, **extra)

    return start


@pytest.fixture(autouse=True)
def _no_app_key_upstream(upstreams):
    """No request any fake received carried the app's key."""
    yield
    for fake in upstreams.values():
        for r in fake.received:
            assert not any(APP_HEADERS["Authorization"] in v for v in r.headers.values()), (fake.name, r.path)
