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
from proxy.mapping import load_all
from proxy.store import MemoryStore
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
# What the clients (the SDKs, or plain HTTP) authenticate with: never to reach an upstream.
CLIENT_KEYS = {"opik": "opik-client-key", "tracia": "tr_client_key_0000", "scale": "scale-client-key"}
CLIENT_HEADERS = {
    "opik": {"Authorization": CLIENT_KEYS["opik"], "Comet-Workspace": "default"},
    "tracia": {"Authorization": f"Bearer {CLIENT_KEYS['tracia']}"},
    "scale": {"x-api-key": CLIENT_KEYS["scale"], "x-selected-account-id": "acct_client"},
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


@pytest.fixture(scope="session")
def mappings():
    """The mappings compiled once for the session (compiling takes a few hundred ms)."""
    return load_all()


# Retries in tens of milliseconds rather than the production 5 s, so a test that
# injects faults sees the outbox retry within its patience.
FAST_DELIVERY = {"linger_ms": 1, "poll_interval": 0.05,
                 "retry": {"initial_interval": 0.05, "multiplier": 1.5, "max_interval": 0.2, "max_elapsed": 30},
                 "breaker": {"failures": 1000, "cooldown": 0.1}}


@pytest.fixture
def live_proxy(fakes, upstreams, mappings):
    """live_proxy(routes=[...], upstream_patch={name: {"base_url": ..., "timeout": ...}}, **config)
    -> base URL of a proxy running on 127.0.0.1."""
    running = []

    def start(routes: list[dict], upstream_patch: dict[str, dict] | None = None, **extra: Any) -> str:
        ups = upstream_config(fakes)
        for name, fields in (upstream_patch or {}).items():
            ups[name].update(fields)
        extra.setdefault("delivery", FAST_DELIVERY)
        cfg = Config.model_validate({"upstreams": ups, "routes": routes, **extra})
        # each proxy its own in-memory store unless the test names one: no test sees another's records
        store = None if "store" in extra else MemoryStore()
        server = FakeServer(create_app(cfg, mappings=mappings, store=store)).__enter__()
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


def assert_upstream_credentials(upstreams: dict) -> int:
    """Every request any fake received carried that upstream's configured credentials
    and no client key anywhere in its headers. Returns how many requests were checked."""
    checked = 0
    for vendor, fake in upstreams.items():
        for r in fake.received:
            for name, value in UPSTREAM_HEADERS[vendor].items():
                assert r.headers.get(name.lower()) == value, f"{vendor} {r.method} {r.path}: {name}={r.headers.get(name.lower())!r}"
            leaked = [k for k, v in r.headers.items() for key in CLIENT_KEYS.values() if key in v]
            assert not leaked, f"{vendor} {r.method} {r.path}: client key in header(s) {leaked}"
            checked += 1
    return checked
