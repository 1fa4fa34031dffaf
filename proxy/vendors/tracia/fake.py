"""The fake Tracia upstream (proxy/testing.py runs it): the full EvaluateResult for an
evaluation; its spans served back by GET /api/v1/spans, paged, for the back-fill's tests.

    fake.history.put_span({...SpanCreateParam...})
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.responses import JSONResponse, Response

from proxy.testing_history import in_window, now, positive_int


def history() -> TraciaHistory:
    return TraciaHistory()


def answer(fake, r, url: str) -> Response:
    served = fake.history.serve(r.method, r.path, r.query)
    if served is not None:
        return served
    fake.keep(r)
    if r.method == "POST" and r.path.endswith("/evaluations"):
        b = r.body or {}
        return JSONResponse(
            {
                "id": f"eval_fake{fake.next_seq():06d}",
                "evaluatorKey": b.get("evaluatorKey"),
                "evaluatorName": str(b.get("evaluatorKey", "")).title(),
                "value": b.get("value"),
                "source": "api",
                "note": b.get("note"),
                "createdAt": _now(),
            }
        )
    if r.method == "POST" and r.path == "/api/v1/spans":
        b = r.body or {}
        return JSONResponse(
            {"id": f"span_fake{fake.next_seq():06d}", "spanId": b.get("spanId"), "traceId": b.get("traceId")}
        )
    return JSONResponse({"error": {"code": "NOT_FOUND", "message": "not found"}}, 404)


def _now() -> str:
    """An answer's time stamp, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class TraciaHistory:
    """Spans, as GET /api/v1/spans lists them (newest first; `cursor` / `nextCursor` and
    `hasMore`, both spellings, as tracia.md asks) and GET /api/v1/spans/{spanId} gives one.
    Evaluations are kept, and listed nowhere: Tracia has no API for that."""

    LISTED = (
        "id",
        "spanId",
        "traceId",
        "promptSlug",
        "model",
        "status",
        "latencyMs",
        "inputTokens",
        "outputTokens",
        "totalTokens",
        "cost",
        "createdAt",
    )

    def __init__(self) -> None:
        self.spans: dict[str, dict] = {}
        self.evaluations: list[tuple[str, dict]] = []
        self._seq = 0

    def put_span(self, body: dict, created_at: str | None = None) -> dict:
        self._seq += 1
        base = {
            "parentSpanId": None,
            "promptSlug": None,
            "promptVersion": None,
            "variables": None,
            "output": None,
            "error": None,
            "cost": None,
            "tags": [],
            "userId": None,
            "sessionId": None,
            "traceId": None,
        }
        self.spans[body["spanId"]] = {**base, **body, "id": f"clx{self._seq:09d}", "createdAt": created_at or now()}
        return self.spans[body["spanId"]]

    def keep(self, method: str, path: str, body: Any) -> None:
        if method == "POST" and path == "/api/v1/spans" and isinstance(body, dict) and body.get("spanId"):
            self.put_span(body)
        m = re.fullmatch(r"/api/v1/spans/([^/]+)/evaluations", path)
        if method == "POST" and m:
            self.evaluations.append((m.group(1), body))

    def serve(self, method: str, path: str, query: dict) -> Response | None:
        if method != "GET":
            return None
        m = re.fullmatch(r"/api/v1/spans/([^/]+)", path)
        if m:
            span = self.spans.get(m.group(1))
            return (
                JSONResponse(span)
                if span
                else JSONResponse({"error": {"code": "NOT_FOUND", "message": "Span not found"}}, 404)
            )
        if path != "/api/v1/spans":
            return None
        found = sorted(
            (s for s in self.spans.values() if in_window(s["createdAt"], query.get("startDate"), query.get("endDate"))),
            key=lambda s: s["id"],
            reverse=True,
        )
        if query.get("cursor"):
            found = [s for s in found if s["id"] < query["cursor"]]
        limit = min(positive_int(query.get("limit"), 50), 100)
        page, more = found[:limit], len(found) > limit
        cursor = page[-1]["id"] if more else None
        return JSONResponse(
            {
                "spans": [{k: s.get(k) for k in self.LISTED} for s in page],
                "nextCursor": cursor,
                "cursor": cursor,
                "hasMore": more,
            }
        )
