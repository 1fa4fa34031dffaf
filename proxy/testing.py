"""Fake vendor upstreams: local servers that answer like Opik, Tracia, Scale or an OTLP
collector (testing_otel.py) and record every request they receive. Used by the tests, the benchmarks, and
anyone trying a config (`feedback-proxy fake-upstream --vendor opik --port 5173`).

    with FakeServer(FakeVendor("scale")) as fake:
        ... point an upstream at fake.url ...
        fake.vendor.received[0].body      # what arrived, JSON-parsed (gzip inflated)
        fake.vendor.fail_next(2, 503)     # fault injection: the next 2 answers are 503
        fake.vendor.history               # what it was sent, served back by its read API (testing_history.py)
        fake.vendor.slow = (0.04, 0.25)   # each POST answered after 40-250 ms (a slow create)
        fake.vendor.answered = callback   # called with each POST's record as its 2xx answer goes back
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import random
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import testing_otel
from .testing_history import history_for


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.time)  # when it arrived
    raw: bytes = b""  # the body as it arrived, inflated


@dataclass
class Fault:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeVendor:
    def __init__(self, vendor: str):
        if vendor not in ("opik", "tracia", "scale", "otel"):
            raise ValueError(f"no fake for {vendor!r}")
        self.name = vendor
        self.received: list[Received] = []
        self.faults: list[Fault] = []
        self.assessments: dict[str, dict] = {}
        self.history = history_for(vendor) if vendor != "otel" else None  # an OTLP collector has no read API
        self._seq = itertools.count(1)
        self.slow: tuple[float, float] | None = None
        self.answered: Any = None
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])

    def fail_next(self, count: int, status: int, body: Any = None, headers: dict | None = None, delay: float = 0.0) -> None:
        self.faults.extend(Fault(status, body, headers or {}, delay) for _ in range(count))

    def bodies(self, method: str | None = None, path: str | None = None) -> list[Any]:
        return [r.body for r in self.received if (method is None or r.method == method) and (path is None or re.search(path, r.path))]

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        if self.name == "otel":  # OTLP: protobuf or JSON, read as the proxy reads it
            body = testing_otel.read_body(raw, request.url.path, {k.lower(): v for k, v in request.headers.items()})
        else:
            body = json.loads(raw) if raw else None
        raw_path = request.scope.get("raw_path")  # as it arrived, percent-encoding kept
        rec = Received(request.method, raw_path.decode("latin-1") if raw_path else request.url.path, dict(request.query_params), {k.lower(): v for k, v in request.headers.items()}, body, raw=raw)
        if self.faults:
            fault = self.faults.pop(0)
            self.received.append(rec)  # on arrival: a slow answer must not land in a later test
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return JSONResponse(fault.body, fault.status, fault.headers) if fault.body is not None else Response(status_code=fault.status, headers=fault.headers)
        self.received.append(rec)
        if self.slow and rec.method == "POST":
            await asyncio.sleep(random.uniform(*self.slow))
        resp = getattr(self, f"_{self.name}")(rec, str(request.url))
        if self.answered is not None and rec.method == "POST" and resp.status_code < 300:
            self.answered(rec)
        return resp

    # --- Opik: 204 for scores and deletes, 201 + Location for creates ----------
    def _opik(self, r: Received, url: str) -> Response:
        served = self.history.serve(r.method, r.path, r.query)
        if served is not None:
            return served
        self._keep(r)
        if r.path.endswith("/is-alive/ping"):
            return JSONResponse({"healthy": True})
        if "/manual-evaluation/" in r.path:  # before creates: it ends in /traces or /spans too
            return JSONResponse({"entities_queued": len(r.body.get("entity_ids", [])), "rules_applied": len(r.body.get("rule_ids", []))}, 202)
        if r.method == "POST" and re.search(r"/(comments|traces|spans)$", r.path):
            return Response(status_code=201, headers={"Location": f"{url}/{uuid.uuid4()}"})
        if r.method in ("PUT", "POST", "PATCH"):
            return Response(status_code=204)
        return JSONResponse({"code": 404, "message": "HTTP 404 Not Found"}, 404)

    # --- OTel: an OTLP collector (proxy/testing_otel.py) -----------------------------
    def _otel(self, r: Received, url: str) -> Response:
        return testing_otel.answer(r.method, r.path, r.headers, r.body)

    # --- Tracia: the full EvaluateResult ----------------------------------------
    def _tracia(self, r: Received, url: str) -> Response:
        served = self.history.serve(r.method, r.path, r.query)
        if served is not None:
            return served
        self._keep(r)
        if r.method == "POST" and r.path.endswith("/evaluations"):
            b = r.body or {}
            return JSONResponse({"id": f"eval_fake{next(self._seq):06d}", "evaluatorKey": b.get("evaluatorKey"), "evaluatorName": str(b.get("evaluatorKey", "")).title(),
                                 "value": b.get("value"), "source": "api", "note": b.get("note"), "createdAt": _now()})
        if r.method == "POST" and r.path == "/api/v1/spans":
            b = r.body or {}
            return JSONResponse({"id": f"span_fake{next(self._seq):06d}", "spanId": b.get("spanId"), "traceId": b.get("traceId")})
        return JSONResponse({"error": {"code": "NOT_FOUND", "message": "not found"}}, 404)

    # --- Scale: SpanAssessment CRUD, kept in memory; spans: its history's -------------
    def _scale(self, r: Received, url: str) -> Response:
        served = self.history.serve(r.method, r.path, r.query, r.body, r.headers.get("x-selected-account-id", "acct_fake"))
        if served is not None:
            return served
        m = re.fullmatch(r"/v5/span-assessments(?:/([^/]+))?", r.path)
        if not m:
            return JSONResponse({"detail": "Not Found"}, 404)
        aid = m.group(1)
        if aid is None and r.method == "POST":
            aid = str(uuid.uuid4())
            self.assessments[aid] = {**r.body, "assessment_id": aid, "created_by": "fake-user", "object": "span.assessment", "created_at": _now(), "updated_at": _now()}
            return JSONResponse(self.assessments[aid])
        if aid is None and r.method == "GET":
            key = "span_id" if "span_id" in r.query else "trace_id"
            items = [self._as_read(a) for a in self.assessments.values() if a.get(key) == r.query.get(key)]
            return JSONResponse({"items": items, "object": "list"})
        if aid not in self.assessments:
            return JSONResponse({"detail": "Span assessment not found"}, 404)
        if r.method == "PATCH":
            self.assessments[aid].update({**r.body, "updated_at": _now()})
        if r.method == "DELETE":
            del self.assessments[aid]
            return JSONResponse({"id": aid, "deleted": True, "object": "span.assessment"})
        return JSONResponse(self.assessments[aid])

    def _keep(self, r: Received) -> None:
        """Into the history the read API serves; what it keeps never changes how the fake answers."""
        try:
            self.history.keep(r.method, r.path, r.body)
        except (TypeError, KeyError, AttributeError, ValueError):
            pass

    def _as_read(self, a: dict) -> dict:
        """Scale attaches an assessment made with no span_id to its trace's root span, and names it when read."""
        root = None if a.get("span_id") else self.history.root_of(a.get("trace_id"))
        return {**a, "span_id": root} if root else a


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_socket(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port` for uvicorn to serve on (it listens); raises OSError
    (EADDRINUSE) when the port is taken, before anything says it is serving."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


class FakeServer:
    """Runs an ASGI app with uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, vendor_or_app: Any, port: int | None = None):
        self.vendor = vendor_or_app if isinstance(vendor_or_app, FakeVendor) else None
        app = vendor_or_app.app if isinstance(vendor_or_app, FakeVendor) else vendor_or_app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # log_config=None: uvicorn leaves the process's logging as it is (proxy/logs.py, when `serve --fake-upstreams`)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", log_config=None))

    def __enter__(self) -> "FakeServer":
        sock = listening_socket(self.port)  # OSError here, in the caller's thread, when the port is taken
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
