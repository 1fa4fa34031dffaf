"""A proxy with a clients: section, run under the same uvicorn settings `serve` uses
(proxy/serving.py), and what a rejection looks like in each vendor's shape."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from proxy import serving
from proxy.app import create_app
from proxy.config import Config
from proxy.mapping import load_all
from proxy.store import MemoryStore
from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import BASE_PATHS, CLIENT_KEYS, FAST_DELIVERY, UPSTREAM_HEADERS, VENDORS, upstream_config

# The keys the proxy's clients present, in their own vendor's header. The SDK apps use
# the same keys the rest of the suite gives the SDKs (tests/conftest.py CLIENT_KEYS).
APP_KEYS = {
    "opik-app": CLIENT_KEYS["opik"],
    "tracia-app": CLIENT_KEYS["tracia"],
    "scale-app": CLIENT_KEYS["scale"],
    "langfuse-app": CLIENT_KEYS["langfuse"],
    "otel-app": "fp_otel_app_key_0123456789",  # an OTel-instrumented app (OTEL_EXPORTER_OTLP_HEADERS)
    "ops": "fp_ops_every_route_0123456789",
    "tracia-only": "fp_tracia_format_only_9876543210",
}
ROUTES = [
    {"name": "opik-route", "from": "opik", "primary": "opik", "mirrors": ["scale"]},
    {"name": "tracia-route", "from": "tracia", "primary": "tracia", "mirrors": ["opik"]},
    {"name": "scale-route", "from": "scale", "primary": "scale", "mirrors": ["opik"]},
    {"name": "langfuse-route", "from": "langfuse", "primary": "langfuse", "mirrors": ["opik"]},
    {"name": "otel-route", "from": "otel", "primary": "otel", "mirrors": ["opik"]},
]
CLIENTS = [
    {"name": "opik-app", "key": APP_KEYS["opik-app"], "routes": ["opik-route"]},
    {"name": "tracia-app", "key": APP_KEYS["tracia-app"], "routes": ["tracia-route"]},
    {"name": "scale-app", "key_sha256": hashlib.sha256(APP_KEYS["scale-app"].encode()).hexdigest(), "routes": [2]},
    {"name": "langfuse-app", "key": APP_KEYS["langfuse-app"], "vendors": ["langfuse"]},
    {"name": "otel-app", "key": APP_KEYS["otel-app"], "routes": ["otel-route"]},
    {"name": "ops", "key": APP_KEYS["ops"]},
    {"name": "tracia-only", "key": APP_KEYS["tracia-only"], "vendors": ["tracia"]},
]
# which client each vendor's own app is, and one that may not use that vendor's route
OWN_APP = {
    "opik": "opik-app",
    "tracia": "tracia-app",
    "scale": "scale-app",
    "langfuse": "langfuse-app",
    "otel": "otel-app",
}
OTHER_APP = {
    "opik": "tracia-app",
    "tracia": "scale-app",
    "scale": "opik-app",
    "langfuse": "opik-app",
    "otel": "opik-app",
}
WRONG_KEY = "fp_not_a_key_anyone_has_000000"

UUID7 = "01a2105d-41f8-77e4-83f2-4905344d3b48"
PARAMS = {"opik": UUID7, "tracia": "sp_0123456789abcdef", "scale": "a-1", "langfuse": "score-1"}


def key_headers(vendor: str, key: str | None, mapping=None) -> dict[str, str]:
    """`key` in the header where `vendor`'s SDK puts its own key (read from its mapping)."""
    if key is None:
        return {}
    auth = (mapping or MAPPINGS[vendor]).spec.auth
    if auth.basic:  # the key is one half of Basic credentials (Langfuse: the secret key)
        pair = f"pk-lf-public:{key}" if auth.basic == "password" else f"{key}:"
        key = base64.b64encode(pair.encode()).decode()
    return {auth.header: f"{auth.scheme} {key}" if auth.scheme else key}


MAPPINGS = load_all()


def operations() -> list[tuple[str, str, str, str, str]]:
    """(vendor, endpoint, prefix, method, concrete path) for every endpoint every mapping
    declares, under every path prefix it is served on: a new endpoint is covered by itself."""
    out = []
    for vendor, m in sorted(MAPPINGS.items()):
        for name, ep in m.endpoints.items():
            for prefix in m.spec.prefixes:
                path = prefix.rstrip("/") + re.sub(r"\{[^}]+\}", PARAMS.get(vendor, "x-1"), ep.spec.path)
                out.append((vendor, name, prefix, ep.method, path))
    return out


def is_open(vendor: str, endpoint: str) -> bool:
    return MAPPINGS[vendor].endpoints[endpoint].spec.op == "ping"


# --- the vendors' error shapes ----------------------------------------------------

TRACIA_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITED",
}


def assert_shape(vendor: str | None, resp: httpx.Response, status: int | None = None) -> Any:
    """The body of a rejection is exactly the vendor's error shape; returns its message/detail."""
    if status is not None:
        assert resp.status_code == status, (resp.status_code, resp.text)
    else:
        assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    status = resp.status_code
    if vendor == "otel":  # OTLP: a google.rpc.Status, in the request's encoding
        return _rpc_status(resp)
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    if vendor == "opik":
        if status in (409, 422):
            assert list(body) == ["errors"] and body["errors"] and all(isinstance(e, str) for e in body["errors"]), body
            return body["errors"]
        assert (
            body == {"code": status, "message": body.get("message")}
            and isinstance(body["message"], str)
            and body["message"]
        ), body
        return body["message"]
    if vendor == "tracia":
        code = TRACIA_CODES.get(status, "PROVIDER_ERROR" if status >= 500 else "INVALID_REQUEST")
        message = body.get("message")
        assert body == {"error": {"code": code, "message": message}, "code": code, "message": message}, body
        assert isinstance(message, str) and message
        return message
    if vendor == "langfuse":  # {"message"}, + "error" (a class name or zod issues) or "errors" (ingestion)
        if list(body) == ["error"]:  # its OTLP route's own shape
            assert isinstance(body["error"], str) and body["error"], body
            return body["error"]
        assert isinstance(body.get("message"), str) and body["message"], body
        assert set(body) <= {"message", "error", "errors"}, body
        return body["message"]
    if vendor == "scale":
        assert list(body) == ["detail"], body
        detail = body["detail"]
        assert isinstance(detail, str) and detail or (status == 422 and isinstance(detail, list) and detail), body
        return detail
    assert body == {"detail": "Not Found", "code": 404, "message": body.get("message")}, body  # a path no vendor owns
    return body["message"]


def _rpc_status(resp) -> str:
    from google.rpc.status_pb2 import Status

    ctype = resp.headers.get("content-type", "")
    if ctype == "application/x-protobuf":
        status = Status.FromString(resp.content)
        body = {"code": status.code, "message": status.message}
    else:
        assert ctype.startswith("application/json"), resp.headers
        body = resp.json()
    assert set(body) == {"code", "message"} and isinstance(body["code"], int) and 0 < body["code"] <= 16, body
    assert isinstance(body["message"], str) and body["message"], body
    return body["message"]


def owner_of(path: str) -> str | None:
    best = max(MAPPINGS.values(), key=lambda m: m.owns(path))
    return best.vendor if best.owns(path) else None


# --- a proxy under serve's own uvicorn settings ----------------------------------


@dataclass
class Running:
    url: str
    app: Any
    store: Any
    config: Config

    @property
    def proxy(self):
        return self.app.state.proxy

    def accepted(self) -> float:
        """Records committed to the outbox so far (the proxy's own counter)."""
        return self.proxy.metrics.registry.get_sample_value("feedback_proxy_accepted_records_total") or 0.0


class Served:
    def __init__(self, app: Any, config: Config):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(serving.uvicorn_config(app, config, "127.0.0.1", self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"proxy on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def build(
    upstreams_cfg: dict, routes: list[dict] | None = None, clients: list[dict] | None = CLIENTS, **extra: Any
) -> tuple[Config, Any]:
    extra.setdefault("delivery", FAST_DELIVERY)
    cfg = Config.model_validate(
        {
            "upstreams": upstreams_cfg,
            "routes": ROUTES if routes is None else routes,
            **({"clients": clients} if clients is not None else {}),
            **extra,
        }
    )
    return cfg, MemoryStore()


@pytest.fixture
def secure_proxy(fakes, upstreams, mappings):
    """secure_proxy(routes=ROUTES, clients=CLIENTS, upstream_patch=None, **config) -> Running."""
    running = []

    def start(
        routes: list[dict] | None = None,
        clients: list[dict] | None = CLIENTS,
        upstream_patch: dict | None = None,
        **extra: Any,
    ) -> Running:
        ups = upstream_config(fakes)
        for name, fields in (upstream_patch or {}).items():
            ups[name].update(fields)
        return serve(running, mappings, ups, routes, clients, **extra)

    yield start
    for s in running:
        s.__exit__(None, None, None)


def serve(running: list, mappings, ups: dict, routes, clients, **extra: Any) -> Running:
    """Build the config, start the proxy on it, and remember it for the fixture's teardown."""
    cfg, store = build(ups, routes, clients, **extra)
    app = create_app(cfg, mappings=mappings, store=store)
    served = Served(app, cfg).__enter__()
    running.append(served)
    return Running(served.url, app, store, cfg)


@pytest.fixture(scope="module")
def private_fakes():
    """Fake upstreams of this module's own: a module-long proxy's late deliveries land here."""
    servers = {v: FakeServer(FakeVendor(v)).__enter__() for v in VENDORS}
    yield servers
    for s in servers.values():
        s.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_proxy(private_fakes, mappings):
    """module_proxy(routes, **config) -> Running, for the length of a module (hypothesis, schemathesis)."""
    running = []

    def start(routes: list[dict], clients: list[dict] | None = CLIENTS, **extra: Any) -> Running:
        ups = {
            n: {"vendor": n, "base_url": s.url + BASE_PATHS[n], "headers": UPSTREAM_HEADERS[n], "timeout": 5}
            for n, s in private_fakes.items()
        }
        return serve(running, mappings, ups, routes, clients, **extra)

    yield start
    for s in running:
        s.__exit__(None, None, None)


HTTP = httpx.Client(timeout=30)


def healthy(url: str) -> None:
    """The proxy still answers its own probes, and a real request gets through."""
    assert HTTP.get(url + "/healthz").json() == {"status": "ok"}
    assert HTTP.get(url + "/readyz").status_code == 200


class Answer:
    """schemathesis's response, read as the shape checks read an httpx one."""

    def __init__(self, response):
        self.status_code, self.text, self._response = response.status_code, response.text, response
        self.content = response.content
        self.headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}

    def json(self):
        return self._response.json()
