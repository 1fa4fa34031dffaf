"""A request to a primary of the client's own vendor: forwarded as it came.

Only the credentials change: the client's vendor auth header is dropped and the
upstream's configured headers are added. The answer goes back verbatim.

On a route with `forward_client_credentials: true` (multi-tenant pass-through) the
client's own auth header goes through instead, with any header it sent that the
upstream's config also sets (a workspace, an account); the configured ones fill
in only what the client did not send, and the configured credential never goes.
"""

from __future__ import annotations

from ..errors import UpstreamError
from ..model import Reply
from ..upstream import HOP_BY_HOP, Transport
from .target import Target

# Written by the server that runs the proxy (uvicorn) on every answer: the upstream's
# copies would make each appear twice.
SERVER_WRITTEN = frozenset({"date", "server"})


async def forward(transport: Transport, target: Target, req, prefix: str) -> Reply:
    url = target.upstream.base_url + req.path[len(prefix) :] + (f"?{req.raw_query}" if req.raw_query else "")
    auth = target.mapping.spec.auth.header.lower()
    if getattr(req, "forward_credentials", False):
        headers = {k: v for k, v in req.headers.items() if k not in HOP_BY_HOP}
        for k, v in target.headers.items():
            if k.lower() != auth:
                headers.setdefault(k.lower(), v)
    else:
        drop = HOP_BY_HOP | {auth} | {k.lower() for k in target.headers}
        headers = {k: v for k, v in req.headers.items() if k not in drop}
        headers.update(target.headers)
    try:
        resp = await transport.send(req.method, url, headers, req.body or None, target.upstream.timeout)
    except UpstreamError as exc:
        exc.upstream = target.name
        raise
    out = {k: v for k, v in resp.headers.items() if k not in HOP_BY_HOP and k not in SERVER_WRITTEN}
    return Reply(resp.status, resp.body, out)
