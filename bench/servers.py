"""The servers the benchmarks start, one per process: `python bench/servers.py KIND PORT [UPSTREAM_URL]`.

    upstream        a minimal ASGI app answering 204 (the floor)
    naive-httpx     Starlette forwarding the body unchanged with httpx (no parsing)
    naive-aiohttp   the same with aiohttp: the ceiling of this stack
    proxy CONFIG    feedback-proxy itself on a config file
"""

from __future__ import annotations

import sys

import uvicorn


async def upstream(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def naive(kind: str, target: str):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from proxy.upstream import open_transport

    transport = open_transport(kind)

    async def forward(request):
        body = await request.body()
        resp = await transport.send(request.method, target + request.url.path, {"content-type": "application/json"}, body, 10)
        return Response(resp.body, status_code=resp.status)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "PUT", "POST"])])


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "upstream":
        app = upstream
    elif kind.startswith("naive-"):
        app = naive(kind.split("-", 1)[1], sys.argv[3])
    elif kind == "proxy":
        from proxy import config
        from proxy.app import create_app

        app = create_app(config.load(sys.argv[3]))
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
