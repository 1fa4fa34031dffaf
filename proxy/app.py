"""The ASGI application: every path goes to the pipeline; the answer goes back as it says.

Open without a key: /healthz, /readyz, /metrics and /openapi.json (what the ingress
accepts, built from the mappings); /ui and /ui/api take the admin key (proxy/ui/).
Every answer of 400 and above has the config's secrets cut out of it, and so has
every log line (proxy/auth.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import time
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import auth, ingress, jsonio, logs, openapi, ui
from .config import Config
from .errors import RequestTimeout
from .mapping import VendorMapping, load_all
from .metrics import CONTENT_TYPE
from .model import Reply
from .observe import Observer
from .overdue import TaskTimeouts
from .pipeline import Incoming, Proxy
from .readiness import Readiness
from .store import Store, open_store
from .upstream import Transport, open_transport

log = logging.getLogger("proxy")

STOP_MARGIN = 5.0  # seconds a graceful stop allows beyond the longest upstream timeout, to commit what came back


def create_app(
    config: Config,
    *,
    transport: Transport | None = None,
    store: Store | None = None,
    mappings: dict[str, VendorMapping] | None = None,
) -> Starlette:
    mappings = mappings or load_all(Path(config.mappings_dir) if config.mappings_dir else None)
    own_store = store is None
    store = store or open_store(config.store, config.store_sync, config.store_busy_timeout)
    observer = Observer(config.upstreams)  # what the operator UI and the logs show (proxy/observe/)
    proxy = Proxy(config, mappings, store, observer.watch(transport or open_transport()))
    limit, timeout = config.limits.max_body_bytes, config.limits.request_timeout
    reading = TaskTimeouts()  # the requests whose body is being read, each due within `timeout`
    redactor = auth.Redactor()
    redactor.add(auth.secrets_of(config, {m.spec.auth.header for m in mappings.values()}))
    auth.install_log_redaction(redactor.secrets)

    async def handle(scope, receive, send) -> None:
        """One request, read from the ASGI scope and answered with ASGI messages: no Starlette
        Request, URL, Headers or Response objects per request (bench/RESULTS.md, profile)."""
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def read() -> bytes:
            task = asyncio.current_task()
            reading.due[task] = time.monotonic() + timeout  # not asyncio.timeout: a loop timer per request
            if reading.idle or reading.loop is not task.get_loop():
                reading.start()
            try:
                return await ingress.read_bounded(_chunks(receive), limit, headers.get("content-length"))
            except asyncio.CancelledError:
                if reading.timed_out(task):
                    raise RequestTimeout(f"the request body did not arrive within {timeout:g} s") from None
                raise
            finally:
                reading.due.pop(task, None)

        url, raw_query = _url(scope, headers.get("host"))
        incoming = Incoming(
            method=scope["method"],
            path=_raw_path(scope),
            query=dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            if scope["query_string"]
            else {},
            headers=headers,
            body=b"",
            url=url,
            raw_query=raw_query,
            read=read,
        )
        entry = observer.begin(incoming.request_id, incoming.method, incoming.path, headers.get("x-request-id"))
        reply = await proxy.handle(incoming)
        observer.end(entry, reply.status)
        if reply.status >= 400 and redactor.secrets and reply.headers.get("content-encoding", "identity") == "identity":
            reply.body = redactor.data(reply.body)  # an upstream's error may echo a credential back
        # the rest of the body may still come: the connection cannot carry another request
        # (serve reads and discards it, bounded, before it closes: serving.py)
        if reply.status in (408, 413):
            reply.headers["connection"] = "close"
        await send_reply(send, reply)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        proxy.outbox.start()
        settle_heap()
        yield
        # a graceful stop: the sends in flight end (within their upstream's timeout) and their outcome is
        # committed; nothing new is claimed; what is not delivered stays in the store for the next start
        await proxy.outbox.stop(grace=max((u.timeout for u in config.upstreams.values()), default=0) + STOP_MARGIN)
        await proxy.transport.close()
        if own_store and hasattr(store, "close"):
            store.close()

    own = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz(Readiness(store, proxy.outbox)), methods=["GET"]),
        Route("/metrics", metrics(proxy), methods=["GET"]),
        Route("/openapi.json", described(mappings), methods=["GET"]),
        *ui.routes(proxy, observer, config, mappings),
    ]
    app = Starlette(routes=own, lifespan=lifespan)
    # Everything else, whatever its method or path (a %0A in it too): the pipeline answers, in the vendor's shape.
    app.router.default = handle
    app.state.proxy = proxy
    return App(app, handle, {p for r in own for p in (r.path, r.path + "/")})  # "/healthz/": Starlette's redirect


def settle_heap() -> None:
    """Python's cyclic collector set for serving, once start-up is over (bench/decode.py runs as this)."""
    gc.collect()  # start-up's garbage, then what it made (mappings, generated code, modules) lives as long as the
    gc.freeze()  # process: no collection walks it again (a full one took 20-45 ms under load, a p99 stall)
    # a young collection every 10,000 new objects, not 700: each walks what is alive (a few requests'
    # worth) whatever the threshold, so the cost a request falls (1,107k -> 1,071k instructions)
    gc.set_threshold(10_000, 10, 10)


CONFIG_ENV = "FEEDBACK_PROXY_CONFIG"


def from_env() -> App:
    """An app factory for process managers that import the app in each worker they start:
    the config file is named by $FEEDBACK_PROXY_CONFIG. For example
    `FEEDBACK_PROXY_CONFIG=config.yaml uvicorn --factory proxy.app:from_env --workers 4`, or
    gunicorn's `-k uvicorn.workers.UvicornWorker 'proxy.app:from_env()'`. (`feedback-proxy
    serve --workers N` does the same and keeps serve's connection limits; README, Deployment.)"""
    import os

    from . import config as config_mod

    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise RuntimeError(f"proxy.app:from_env needs ${CONFIG_ENV}: the path of the proxy's config file")
    cfg = config_mod.load(path)
    logs.configure_from(cfg)
    return create_app(cfg)


class App:
    """Starlette with one shortcut: an HTTP request on any path but the proxy's own
    (/healthz, ...) goes straight to the pipeline's handler, which is where Starlette's
    router would send it, without its middleware and route matching on the way."""

    def __init__(self, starlette: Starlette, handle, own_paths: set[str]):
        self.starlette, self.handle, self.own_paths = starlette, handle, own_paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not scope.get("root_path") and scope["path"] not in self.own_paths:
            await self.handle(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)

    def __getattr__(self, name: str):  # state, router, routes, ...: the Starlette app's
        return getattr(self.starlette, name)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readyz(readiness: Readiness):
    async def ready(request: Request) -> Response:
        ok, body = await readiness.check()
        return JSONResponse(body, 200 if ok else 503)

    return ready


def metrics(proxy):
    async def render(request: Request) -> Response:
        return Response(await asyncio.to_thread(proxy.metrics.render), media_type=CONTENT_TYPE)

    return render


def described(mappings):
    spec = openapi.build(mappings)

    async def serve(request: Request) -> Response:
        return JSONResponse(spec)

    return serve


def _raw_path(scope) -> str:
    """The path as the client sent it, percent-encoding kept: an encoded "/" inside an
    id (Tracia's `sp_abc%2Fx`) must stay one path segment, for matching and forwarding."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else URL(scope=scope).path


async def _chunks(receive):
    """The request body as it arrives: Starlette's Request.stream(), without the Request."""
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


_BASES: dict[tuple, str] = {}  # (scheme, host header, server) -> "scheme://netloc", as Starlette's URL writes it
_PLAIN_PATH = re.compile(r"/(?!/)[^?#\\\x00-\x20\x7f]*")  # a path Starlette's URL keeps as it is
_PLAIN_QUERY = re.compile(r"[^#\t\r\n]*")


def _url(scope, host: str | None) -> tuple[str, str]:
    """(URL without the query, the query): `str(request.url.replace(query=""))` and
    `request.url.query`, without building and re-parsing a URL per request."""
    path, query = scope["path"], scope["query_string"].decode()
    key = (scope.get("scheme", "http"), host, scope.get("server"))
    base = _BASES.get(key)
    if base is None:
        probe = {
            "type": "http",
            "scheme": key[0],
            "server": key[2],
            "path": "/",
            "query_string": b"",
            "headers": [(b"host", host.encode("latin-1"))] if host is not None else [],
        }
        base = str(URL(scope=probe))[:-1]  # "" when there is no netloc
        if len(_BASES) < 64:
            _BASES[key] = base
    if base and _PLAIN_PATH.fullmatch(path) and (not query or _PLAIN_QUERY.fullmatch(query)):
        return base + path, query
    url = URL(scope=scope)
    return str(url.replace(query="")), url.query


async def send_reply(send, reply: Reply) -> None:
    """The reply as ASGI messages, with the headers to_response's Starlette Response writes."""
    body, status = reply.body, reply.status
    headers = dict(reply.headers)
    if body is None or status in (204, 304):
        content = b""
    elif isinstance(body, (bytes, bytearray)):
        content = bytes(body)
    else:
        headers.setdefault("content-type", "application/json")
        content = jsonio.dumps(body)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if not (status < 200 or status in (204, 304)) and not any(k == b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(len(content)).encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


def to_response(reply: Reply) -> Response:
    body = reply.body
    headers = dict(reply.headers)
    if body is None or reply.status in (204, 304):
        return Response(status_code=reply.status, headers=headers)
    if isinstance(body, (bytes, bytearray)):
        return Response(bytes(body), status_code=reply.status, headers=headers)
    headers.setdefault("content-type", "application/json")
    return Response(jsonio.dumps(body), status_code=reply.status, headers=headers)
