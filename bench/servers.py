"""The servers the benchmarks start, one per process: `python bench/servers.py KIND PORT [ARG]`.

upstream        the fake upstream: raw asyncio, canned answers like each vendor's (bench/fast_upstream.py),
                >= 10x faster than the naive forwarder, so no ratio measures the fake
naive-httpx     Starlette forwarding the body unchanged with httpx (no parsing)
naive-aiohttp   the same with aiohttp: the ceiling of this stack
naive-http1     the same with the proxy's own HTTP/1.1 client (proxy/http1.py)
proxy CONFIG    feedback-proxy itself, exactly as `feedback-proxy serve --config CONFIG` runs it
"""

from __future__ import annotations

import sys

import uvicorn


def naive(kind: str, target: str):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from proxy.upstream import open_transport

    transport = open_transport(kind)

    async def forward(request):
        body = await request.body()
        resp = await transport.send(
            request.method, target + request.url.path, {"content-type": "application/json"}, body, 10
        )
        return Response(resp.body, status_code=resp.status)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "PUT", "POST"])])


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "proxy":  # the real command, so the benchmark measures what `serve` runs
        from proxy.cli import main as cli

        raise SystemExit(cli(["serve", "--config", sys.argv[3], "--port", str(port)]))
    if kind == "upstream":
        from fast_upstream import main as serve_upstream

        sys.argv[1:] = [str(port)]
        return serve_upstream()
    if kind.startswith("naive-"):
        app = naive(kind.split("-", 1)[1], sys.argv[3])
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
