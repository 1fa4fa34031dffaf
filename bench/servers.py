"""The servers the benchmarks start, one per process: `python bench/servers.py KIND PORT [ARG]`.

    upstream        a minimal ASGI app answering like each vendor, with no parsing (the floor):
                    Tracia  POST .../evaluations      -> 200 EvaluateResult
                    Scale   POST /v5/span-assessments -> 200 SpanAssessment
                    Opik    anything else             -> 204
    naive-httpx     Starlette forwarding the body unchanged with httpx (no parsing)
    naive-aiohttp   the same with aiohttp: the ceiling of this stack
    proxy CONFIG    feedback-proxy itself, exactly as `feedback-proxy serve --config CONFIG` runs it
"""

from __future__ import annotations

import itertools
import sys

import uvicorn

_seq = itertools.count(1)
_JSON = [(b"content-type", b"application/json")]


async def upstream(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    path, method = scope["path"], scope["method"]
    if method == "POST" and path.endswith("/evaluations"):
        body = (b'{"id":"eval_bench%08d","evaluatorKey":"quality","evaluatorName":"Quality","value":1,"source":"api",'
                b'"note":null,"createdAt":"2026-01-01T00:00:00.000Z"}' % next(_seq))
    elif method == "POST" and path == "/v5/span-assessments":
        body = (b'{"assessment_id":"bench-%08d","assessment_type":"metadata","trace_id":"t","created_by":"bench",'
                b'"object":"span.assessment","created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z"}' % next(_seq))
    else:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _JSON})
    await send({"type": "http.response.body", "body": body})


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
    if kind == "proxy":  # the real command, so the benchmark measures what `serve` runs
        from proxy.cli import main as cli

        raise SystemExit(cli(["serve", "--config", sys.argv[3], "--port", str(port)]))
    if kind == "upstream":
        app = upstream
    elif kind.startswith("naive-"):
        app = naive(kind.split("-", 1)[1], sys.argv[3])
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
