"""The ASGI application: every path goes to the pipeline; the answer goes back as it says."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import ingress, jsonio
from .config import Config
from .mapping import VendorMapping, load_all
from .model import Reply
from .pipeline import Incoming, Proxy
from .store import Store, open_store
from .upstream import Transport, open_transport

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
log = logging.getLogger("proxy")


def create_app(config: Config, *, transport: Transport | None = None, store: Store | None = None,
               mappings: dict[str, VendorMapping] | None = None) -> Starlette:
    mappings = mappings or load_all(Path(config.mappings_dir) if config.mappings_dir else None)
    proxy = Proxy(config, mappings, store or open_store(), transport or open_transport())
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
        yield
        await proxy.mirrors.drain()
        await proxy.transport.close()

    app = Starlette(routes=[Route("/{path:path}", handle, methods=METHODS)], lifespan=lifespan)
    app.state.proxy = proxy
    return app


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
