"""/ui: one static page (proxy/ui/static/) polling a small JSON API, behind the admin key.

    GET  /ui                          the page (open: it holds no data; it asks for the key)
    GET  /ui/api/status               per upstream: circuit, last success and error, queue, delivery rate, dead letters
    GET  /ui/api/requests?q=&limit=   the last requests (newest first), each with its upstream attempts
    GET  /ui/api/request?id=          one of them, with what each upstream was sent (secrets cut)
    GET  /ui/api/dead-letters?upstream=
    POST /ui/api/dead-letters/replay  {"ids": [..]} or {"all": true, "upstream": ".."}
    POST /ui/api/dead-letters/drop    the same
    GET  /ui/api/vendors              vendors and their endpoints, from the loaded mappings
    POST /ui/api/translate            {"from", "to", "endpoint", "payload"} -> the outgoing requests and the loss report

Every path is fixed (ids travel in the query or the body), so the app's router takes
them before the vendor pipeline, and none can shadow a vendor's path (all are under /ui).
Store calls are synchronous: they run in a thread.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import admin, ingress
from ..errors import ConfigError, ProxyError
from . import views
from .access import OFF, SECURITY_HEADERS, AdminGate, answer

STATIC = Path(__file__).parent / "static"
DEAD_SHOWN = 200  # dead letters listed ("more": true beyond)


def routes(proxy, observer, config, mappings) -> list[Route]:
    api = OperatorApi(proxy, observer, config, mappings)
    page = _static("index.html", "text/html; charset=utf-8", api.gate)
    return [
        Route("/ui", page, methods=["GET"]),
        Route("/ui/", page, methods=["GET"]),
        Route("/ui/app.js", _static("app.js", "text/javascript; charset=utf-8", api.gate), methods=["GET"]),
        Route("/ui/app.css", _static("app.css", "text/css; charset=utf-8", api.gate), methods=["GET"]),
        Route("/ui/favicon.svg", _static("favicon.svg", "image/svg+xml", api.gate), methods=["GET"]),
        Route("/ui/api/status", api.guarded(api.status), methods=["GET"]),
        Route("/ui/api/requests", api.guarded(api.requests), methods=["GET"]),
        Route("/ui/api/request", api.guarded(api.request), methods=["GET"]),
        Route("/ui/api/dead-letters", api.guarded(api.dead_letters), methods=["GET"]),
        Route("/ui/api/dead-letters/replay", api.guarded(api.settle("replay")), methods=["POST"]),
        Route("/ui/api/dead-letters/drop", api.guarded(api.settle("drop")), methods=["POST"]),
        Route("/ui/api/vendors", api.guarded(api.vendors), methods=["GET"]),
        Route("/ui/api/translate", api.guarded(api.translate), methods=["POST"]),
    ]


def _static(name: str, media_type: str, gate: AdminGate):
    content = (STATIC / name).read_bytes()

    async def serve(request: Request) -> Response:
        if not gate.enabled:
            return Response(f"404: {OFF}\n", 404, SECURITY_HEADERS, media_type="text/plain; charset=utf-8")
        return Response(content, 200, SECURITY_HEADERS, media_type=media_type)

    return serve


class OperatorApi:
    def __init__(self, proxy, observer, config, mappings):
        self.proxy, self.observer, self.config, self.mappings = proxy, observer, config, mappings
        self.gate = AdminGate(config.admin)
        self.started = time.time()

    def guarded(self, endpoint):
        async def run(request: Request) -> Response:
            refused = self.gate.refusal(request)
            return refused if refused is not None else await endpoint(request)

        return run

    async def status(self, request: Request) -> Response:
        try:
            queues, store = (
                await asyncio.to_thread(
                    admin.queues, self.proxy.store, list(self.config.upstreams), views.DEAD_COUNTED + 1
                ),
                "ok",
            )
        except Exception as exc:  # the page must still show the upstreams when the store does not answer
            queues, store = {}, f"{type(exc).__name__}: {exc}"
        now = time.time()
        workers, metrics = self.proxy.outbox.workers, self.proxy.metrics
        ups = [
            views.upstream_health(name, up, workers.get(name), self.observer, queues.get(name, {}), metrics, now)
            for name, up in self.config.upstreams.items()
        ]
        return answer(
            {
                "now": now,
                "started": self.started,
                "store": store,
                "requests_last_minute": metrics.recent_requests.total(now),
                "upstreams": ups,
            }
        )

    async def requests(self, request: Request) -> Response:
        limit = _int(request.query_params.get("limit"), 50, 1, self.observer.journal.size)
        entries = self.observer.journal.recent(limit, request.query_params.get("q", ""))
        return answer(
            {
                "requests": [views.request_summary(e) for e in entries],
                "kept": len(self.observer.journal),
                "size": self.observer.journal.size,
            }
        )

    async def request(self, request: Request) -> Response:
        entry = self.observer.journal.get(request.query_params.get("id", ""))
        if entry is None:
            return answer({"error": "no such request among the last ones this process answered"}, 404)
        return answer(views.request_detail(entry))

    async def dead_letters(self, request: Request) -> Response:
        upstream = request.query_params.get("upstream") or None
        letters = await asyncio.to_thread(self.proxy.store.dead_letters, upstream, DEAD_SHOWN + 1)
        shown = [views.letter_summary(admin.letter(d)) for d in letters[:DEAD_SHOWN]]
        return answer({"dead_letters": shown, "more": len(letters) > DEAD_SHOWN})

    def settle(self, action: str):
        async def run(request: Request) -> Response:
            body, refused = await self._json(request)
            if refused is not None:
                return refused
            ids = body.get("ids") if isinstance(body, dict) else None
            if isinstance(body, dict) and body.get("all") is True:
                letters = await asyncio.to_thread(
                    self.proxy.store.dead_letters, body.get("upstream") or None, admin.LETTERS_MAX
                )
                ids = [d.id for d in letters]
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                return answer({"error": 'send {"ids": [dead letter ids]} or {"all": true, "upstream": "<name>"}'}, 400)
            n = await asyncio.to_thread(admin.settle, self.proxy.store, action, ids)
            if action == "replay":
                for worker in self.proxy.outbox.workers.values():
                    worker.wake.set()  # sent now, not at the next poll
            return answer({"replayed" if action == "replay" else "dropped": n})

        return run

    async def vendors(self, request: Request) -> Response:
        out = {
            name: [
                {"name": e.name, "method": e.method, "path": e.spec.path, "feedback": e.decode is not None}
                for e in m.endpoints.values()
            ]
            for name, m in sorted(self.mappings.items())
        }
        return answer({"vendors": out, "prefixes": {name: m.spec.prefixes for name, m in self.mappings.items()}})

    async def translate(self, request: Request) -> Response:
        from ..mapping.explain import render
        from ..translate import translate

        body, refused = await self._json(request)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or not body.get("from") or not body.get("to") or "payload" not in body:
            return answer(
                {
                    "error": 'send {"from": vendor, "to": vendor, "endpoint": name or "", "payload": request body or '
                    "envelope}"
                },
                400,
            )
        try:
            result = await asyncio.to_thread(
                translate,
                self.mappings,
                str(body["from"]),
                str(body["to"]),
                body["payload"],
                body.get("endpoint") or None,
                secret=self.config.id_secret,
            )
        except ConfigError as exc:
            return answer({"error": exc.message}, 400)
        except ProxyError as exc:  # the payload is not a valid request of that vendor
            return answer({"error": exc.message}, 422)
        return answer(
            {
                "from": f"{result.source} {result.endpoint}",
                "to": result.target,
                "requests": [
                    {"method": r.method, "path": r.path, "query": r.query or None, "body": r.body}
                    for r in result.requests
                ],
                "refused": [{"record": f"{rec.op} on a {rec.entity}", "why": str(why)} for rec, why in result.refused],
                "report": [
                    {k: (str(v) if k == "note" and v is not None else v) for k, v in row.items()}
                    for row in result.report
                ],
                "report_text": render(result.report, result.source, result.endpoint, result.target),
            }
        )

    async def _json(self, request: Request):
        """The request's JSON body, held to the config's limits; (body, None) or (None, the refusal)."""
        limits = self.config.limits
        try:
            raw = await ingress.read_bounded(
                request.stream(), limits.max_body_bytes, request.headers.get("content-length")
            )
            return ingress.parse_json(raw, limits), None
        except ProxyError as exc:
            return None, answer({"error": exc.message}, exc.status)


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value))) if value else default
    except ValueError:
        return default
