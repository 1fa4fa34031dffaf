"""Fake vendor upstreams: local servers that answer like a vendor (its folder's fake.py,
proxy/vendors/<vendor>/fake.py) and record every request they receive. Used by the tests,
the benchmarks, and anyone trying a config (`feedback-proxy fake-upstream --vendor opik --port 5173`).

    with FakeServer(FakeVendor("scale")) as fake:
        ... point an upstream at fake.url ...
        fake.vendor.received[0].body      # what arrived, JSON-parsed (gzip inflated)
        fake.vendor.fail_next(2, 503)     # fault injection: the next 2 answers are 503
        fake.vendor.history               # what it was sent, served back by its read API (the vendor's fake.py)
        fake.vendor.slow = (0.04, 0.25)   # each POST answered after 40-250 ms (a slow create)
        fake.vendor.answered = callback   # called with each POST's record as its 2xx answer goes back
        fake.vendor.respond = wrapper     # wraps the vendor's answer (its fake.py `answer`), e.g. to hold or refuse one
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import logging
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import vendors
from .errors import ProxyError


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
    """Records, injects faults, answers slowly; how it answers is the vendor's fake.py
    (`answer(fake, received, url)`, and `history()`: what its read API serves; `read_body(raw,
    path, headers)`, where the vendor's wire is not JSON: what `received[i].body` holds)."""

    def __init__(self, vendor: str):
        if vendor not in vendors.names():
            raise ValueError(f"no fake for {vendor!r}; known: {', '.join(vendors.names())}")
        self.name = vendor
        self._answers = vendors.get(vendor).fake()
        self.received: list[Received] = []
        self.faults: list[Fault] = []
        self.assessments: dict[
            str, dict
        ] = {}  # feedback a fake keeps by the id it gave it (a vendor whose feedback has one)
        self.history = self._answers.history()
        self._seq = itertools.count(1)
        self.slow: tuple[float, float] | None = None
        self.answered: Any = None
        self.app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
        )

    def fail_next(
        self, count: int, status: int, body: Any = None, headers: dict | None = None, delay: float = 0.0
    ) -> None:
        self.faults.extend(Fault(status, body, headers or {}, delay) for _ in range(count))

    def bodies(self, method: str | None = None, path: str | None = None) -> list[Any]:
        return [
            r.body
            for r in self.received
            if (method is None or r.method == method) and (path is None or re.search(path, r.path))
        ]

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        raw_path = request.scope.get("raw_path")  # as it arrived, percent-encoding kept
        path = raw_path.decode("latin-1") if raw_path else request.url.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        reader = getattr(self._answers, "read_body", None)  # a wire that is not JSON: the vendor's fake.py reads it
        body = reader(raw, path, headers) if reader is not None else json.loads(raw) if raw else None
        rec = Received(request.method, path, dict(request.query_params), headers, body, raw=raw)
        if self.faults:
            fault = self.faults.pop(0)
            self.received.append(rec)  # on arrival: a slow answer must not land in a later test
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return (
                JSONResponse(fault.body, fault.status, fault.headers)
                if fault.body is not None
                else Response(status_code=fault.status, headers=fault.headers)
            )
        self.received.append(rec)
        if self.slow and rec.method == "POST":
            await asyncio.sleep(random.uniform(*self.slow))
        resp = self.respond(rec, str(request.url))
        if self.answered is not None and rec.method == "POST" and resp.status_code < 300:
            self.answered(rec)
        return resp

    def respond(self, r: Received, url: str) -> Response:
        """The vendor's answer to a request that reached it (a test may wrap it: `fake.respond = ...`)."""
        return self._answers.answer(self, r, url)

    def next_seq(self) -> int:
        """1, 2, 3...: for the ids a fake makes up."""
        return next(self._seq)

    def keep(self, r: Received) -> None:
        """Into the history the read API serves; what it keeps never changes how the fake answers."""
        try:
            self.history.keep(r.method, r.path, r.body)
        except (TypeError, KeyError, AttributeError, ValueError):
            pass


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
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", log_config=None)
        )

    def __enter__(self) -> FakeServer:
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


def start_fakes(cfg) -> list:
    """`serve --fake-upstreams`: a fake of each upstream whose base_url is on this machine, on its port."""

    started = []
    for name, up in cfg.upstreams.items():
        url = urlsplit(up.base_url)
        if url.hostname in ("127.0.0.1", "localhost") and url.port:
            try:
                started.append(FakeServer(FakeVendor(up.vendor), port=url.port).__enter__())
            except OSError as exc:
                for fake in started:
                    fake.__exit__(None, None, None)
                raise ProxyError(
                    f"--fake-upstreams: cannot listen on port {url.port} ({exc.strerror}) for upstream "
                    f"{name!r}, a fake {up.vendor} at {up.base_url}: stop what uses the port, or change "
                    "its base_url"
                ) from None
            logging.getLogger("proxy").info("fake %s upstream %r on %s", up.vendor, name, up.base_url)
    return started
