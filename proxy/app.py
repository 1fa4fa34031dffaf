"""The ASGI application: every path goes to the pipeline; the answer goes back as it says."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import ingress, jsonio
from .config import Config
from .mapping import VendorMapping, load_all
from .metrics import CONTENT_TYPE
from .model import Reply
from .pipeline import Incoming, Proxy
from .store import Store, open_store
from .upstream import Transport, open_transport

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
log = logging.getLogger("proxy")


def create_app(config: Config, *, transport: Transport | None = None, store: Store | None = None,
               mappings: dict[str, VendorMapping] | None = None) -> Starlette:
    mappings = mappings or load_all(Path(config.mappings_dir) if config.mappings_dir else None)
    own_store = store is None
    store = store or open_store(config.store, config.store_sync)
    proxy = Proxy(config, mappings, store, transport or open_transport())
    limit = config.limits.max_body_bytes

    async def handle(request: Request) -> Response:
        async def read() -> bytes:
            return await ingress.read_bounded(request.stream(), limit, request.headers.get("content-length"))

        incoming = Incoming(
            method=request.method,
            path=_raw_path(request),
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=b"",
            url=str(request.url.replace(query="")),
            raw_query=request.url.query,
            read=read,
        )
        return to_response(await proxy.handle(incoming))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        proxy.outbox.start()
        yield
        await proxy.outbox.stop()  # what is not delivered stays in the store for the next start
        await proxy.transport.close()
        if own_store and hasattr(store, "close"):
            store.close()

    own = [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz(store), methods=["GET"]),
           Route("/metrics", metrics(proxy), methods=["GET"])]
    app = Starlette(routes=[*own, Route("/{path:path}", handle, methods=METHODS)], lifespan=lifespan)
    app.state.proxy = proxy
    return app


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readyz(store):
    async def ready(request: Request) -> Response:
        try:
            ok = await asyncio.to_thread(store.ping)
        except Exception as exc:  # the store is the one thing the proxy cannot work without
            return JSONResponse({"status": "unavailable", "store": f"{type(exc).__name__}: {exc}"}, 503)
        return JSONResponse({"status": "ok" if ok else "unavailable", "store": "ok" if ok else "no answer"}, 200 if ok else 503)

    return ready


def metrics(proxy):
    async def render(request: Request) -> Response:
        return Response(await asyncio.to_thread(proxy.metrics.render), media_type=CONTENT_TYPE)

    return render


def _raw_path(request: Request) -> str:
    """The path as the client sent it, percent-encoding kept: an encoded "/" inside an
    id (Tracia's `sp_abc%2Fx`) must stay one path segment, for matching and forwarding."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def to_response(reply: Reply) -> Response:
    body = reply.body
    headers = dict(reply.headers)
    if body is None or reply.status in (204, 304):
        return Response(status_code=reply.status, headers=headers)
    if isinstance(body, (bytes, bytearray)):
        return Response(bytes(body), status_code=reply.status, headers=headers)
    headers.setdefault("content-type", "application/json")
    return Response(jsonio.dumps(body), status_code=reply.status, headers=headers)
