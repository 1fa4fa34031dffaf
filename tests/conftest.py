"""Shared fixtures: fake vendor upstreams and a live proxy on 127.0.0.1."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from proxy.app import create_app
from proxy.config import Config
from proxy.testing import FakeServer, FakeVendor

FIXTURES = Path(__file__).parent / "fixtures"

os.environ.setdefault("OPIK_ANALYTICS_ENABLE", "false")
os.environ.setdefault("OPIK_SENTRY_ENABLE", "false")
os.environ.setdefault("OPIK_TRACK_DISABLE", "false")
os.environ.setdefault("OPIK_FILE_LOGGING_LEVEL", "CRITICAL")

UPSTREAM_KEYS = {"opik": "opik-upstream-key", "tracia": "tr_upstream_key", "scale": "scale-upstream-key"}
UPSTREAM_HEADERS = {
    "opik": {"Authorization": UPSTREAM_KEYS["opik"], "Comet-Workspace": "default"},
    "tracia": {"Authorization": f"Bearer {UPSTREAM_KEYS['tracia']}"},
    "scale": {"x-api-key": UPSTREAM_KEYS["scale"], "x-selected-account-id": "acct_upstream"},
}


def sample(vendor: str, name: str) -> dict:
    return json.loads((FIXTURES / vendor / name).read_text())


@pytest.fixture(scope="session")
def fakes():
    """One running fake per vendor for the whole session; emptied before each test."""
    servers = {v: FakeServer(FakeVendor(v)).__enter__() for v in ("opik", "tracia", "scale")}
    yield servers
    for s in servers.values():
        s.__exit__(None, None, None)


@pytest.fixture
def upstreams(fakes):
    for s in fakes.values():
        s.vendor.received.clear()
        s.vendor.faults.clear()
        s.vendor.assessments.clear()
    return {v: s.vendor for v, s in fakes.items()}


def upstream_config(fakes, names=("opik", "tracia", "scale"), opik_prefix: str = "/api") -> dict:
    out = {}
    for n in names:
        base = fakes[n].url + (opik_prefix if n == "opik" else "")
        out[n] = {"vendor": n, "base_url": base, "headers": UPSTREAM_HEADERS[n], "timeout": 5}
    return out


@pytest.fixture
def live_proxy(fakes, upstreams):
    """live_proxy(routes=[...], **config) -> base URL of a proxy running on 127.0.0.1."""
    running = []

    def start(routes: list[dict], **extra: Any) -> str:
        cfg = Config.model_validate({"upstreams": upstream_config(fakes), "routes": routes, **extra})
        server = FakeServer(create_app(cfg)).__enter__()
        running.append(server)
        return server.url

    yield start
    for s in running:
        s.__exit__(None, None, None)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
