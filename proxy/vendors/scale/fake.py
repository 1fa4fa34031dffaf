"""The fake Scale upstream (proxy/testing.py runs it): SpanAssessment CRUD, kept in memory
(fake.assessments, by assessment_id); its spans live in its history alone, and its span writes
are answered from there too.

    fake.history.put_span({...SpanCreateParam...})
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from proxy.testing_history import in_window, positive_int, when


def history() -> ScaleHistory:
    return ScaleHistory()


def answer(fake, r, url: str) -> Response:
    served = fake.history.serve(r.method, r.path, r.query, r.body, r.headers.get("x-selected-account-id", "acct_fake"))
    if served is not None:
        return served
    m = re.fullmatch(r"/v5/span-assessments(?:/([^/]+))?", r.path)
    if not m:
        return JSONResponse({"detail": "Not Found"}, 404)
    aid = m.group(1)
    if aid is None and r.method == "POST":
        aid = str(uuid.uuid4())
        fake.assessments[aid] = {
            **r.body,
            "assessment_id": aid,
            "created_by": "fake-user",
            "object": "span.assessment",
            "created_at": _now(),
            "updated_at": _now(),
        }
        return JSONResponse(fake.assessments[aid])
    if aid is None and r.method == "GET":
        key = "span_id" if "span_id" in r.query else "trace_id"
        items = [_as_read(fake, a) for a in fake.assessments.values() if a.get(key) == r.query.get(key)]
        return JSONResponse({"items": items, "object": "list"})
    if aid not in fake.assessments:
        return JSONResponse({"detail": "Span assessment not found"}, 404)
    if r.method == "PATCH":
        fake.assessments[aid].update({**r.body, "updated_at": _now()})
    if r.method == "DELETE":
        del fake.assessments[aid]
        return JSONResponse({"id": aid, "deleted": True, "object": "span.assessment"})
    return JSONResponse(fake.assessments[aid])


def _as_read(fake, a: dict) -> dict:
    """Scale attaches an assessment made with no span_id to its trace's root span, and names it when read."""
    root = None if a.get("span_id") else fake.history.root_of(a.get("trace_id"))
    return {**a, "span_id": root} if root else a


def _now() -> str:
    """An answer's time stamp, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class ScaleHistory:
    """Spans, as Scale keeps them: written by `PUT`/`POST /v5/spans/batch`, `POST /v5/spans` and
    `PATCH /v5/spans/{id}`, answered as `Span` objects; read by `GET /v5/spans/{id}` and found by
    POST /v5/spans/search (keyset pages: sorted by start time, then trace id and id;
    `starting_after` the last id seen; `has_more`)."""

    def __init__(self) -> None:
        self.spans: dict[str, dict] = {}

    def put_span(self, body: dict, account: str = "acct_fake") -> dict:
        sid = body.get("id") or str(uuid.uuid4())
        self.spans[sid] = {**self.spans.get(sid, {}), **body, "id": sid, "account_id": account, "object": "span"}
        return self.spans[sid]

    def root_of(self, trace_id: str) -> str | None:
        return next(
            (s["id"] for s in self.spans.values() if s.get("trace_id") == trace_id and not s.get("parent_id")), None
        )

    def serve(self, method: str, path: str, query: dict, body: Any, account: str) -> Response | None:
        if path == "/v5/spans/batch" and method in ("PUT", "POST"):
            return JSONResponse(
                {"items": [self.put_span(i, account) for i in (body or {}).get("items", [])], "object": "list"}
            )
        if path == "/v5/spans" and method == "POST" and isinstance(body, dict):
            return JSONResponse(self.put_span(body, account))
        if path == "/v5/spans/search" and method == "POST":
            return self._search(query)
        m = re.fullmatch(r"/v5/spans/([^/]+)", path)
        if m and method in ("GET", "PATCH"):
            return self._one(method, m.group(1), body)
        return None

    def _one(self, method: str, sid: str, body: Any) -> Response:
        """GET or PATCH one span (end_timestamp, metadata, name, output, status): 404 when unknown."""
        if sid not in self.spans:
            return JSONResponse({"detail": "Span not found"}, 404)
        if method == "PATCH" and isinstance(body, dict):
            self.spans[sid].update(body)
        return JSONResponse(self.spans[sid])

    def _search(self, query: dict) -> Response:
        found = sorted(
            (
                s
                for s in self.spans.values()
                if in_window(s.get("start_timestamp"), query.get("from_ts"), query.get("to_ts"))
            ),
            key=lambda s: (when(s.get("start_timestamp")) or 0, s.get("trace_id", ""), s["id"]),
        )
        after = query.get("starting_after")
        if after is not None:
            ids = [s["id"] for s in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        limit = positive_int(query.get("limit"), 100)
        return JSONResponse(
            {"items": found[:limit], "has_more": len(found) > limit, "total": 0, "limit": limit, "object": "list"}
        )
