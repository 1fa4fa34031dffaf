"""The fake vendors' history (proxy/testing.py): what each was sent (or a test seeded),
served back through the vendor's read API as the vendor would, paged. The back-fill's
tests read from these.

    fake.history.put_trace({...Trace_Write...}); fake.history.put_score("trace", id, {...})   # Opik
    fake.history.put_span({...SpanCreateParam...})                                         # Scale, Tracia

The fake Scale's spans live here alone: its span writes are answered from them too.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.responses import JSONResponse, Response

_PREFIX = re.compile(r"^(/opik/api|/api)?(?=/v1/)")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _int(text: Any, default: int) -> int:
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return default


def _in_window(at: Any, since: Any, until: Any) -> bool:
    t, lo, hi = _when(at), _when(since) if since else None, _when(until) if until else None
    return t is not None and (lo is None or t >= lo) and (hi is None or t < hi)


class OpikHistory:
    """Traces and spans with their feedback scores and comments, as GET /v1/private/traces
    and /spans answer them (TracePage_Public / SpanPage_Public: page, size, total, content;
    newest first, as Opik orders by id)."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, dict]] = {"traces": {}, "spans": {}}
        self.scores: dict[tuple[str, str], dict[str, dict]] = {}
        self.comments: dict[tuple[str, str], list[dict]] = {}

    # --- writes: what a client sent, or a test seeds -----------------------------
    def put_trace(self, body: dict) -> None:
        self._put("traces", body["id"], body)

    def put_span(self, body: dict) -> None:
        self._put("spans", body["id"], body)

    def _put(self, kind: str, id_: str, body: dict) -> None:
        known = self.entities[kind].setdefault(id_, {"id": id_, "created_at": now()})
        known.update({k: v for k, v in body.items() if v is not None and k != "source"})

    def put_score(self, kind: str, id_: str, item: dict) -> None:
        stamp, author = now(), "admin"
        score = {k: item[k] for k in ("name", "value", "source", "category_name", "reason") if item.get(k) is not None}
        prior = self.scores.setdefault((kind, id_), {}).get(item["name"])
        self.scores[(kind, id_)][item["name"]] = {**score, "created_at": prior["created_at"] if prior else stamp, "last_updated_at": stamp,
                                                   "created_by": author, "last_updated_by": author,
                                                   "value_by_author": {author: {"value": item["value"], "source": item.get("source"), "last_updated_at": stamp}}}

    def add_comment(self, kind: str, id_: str, text: str) -> str:
        cid = str(uuid.uuid4())
        self.comments.setdefault((kind, id_), []).append({"id": cid, "text": text, "created_at": now(), "created_by": "admin"})
        return cid

    def keep(self, method: str, path: str, body: Any) -> None:
        m = re.fullmatch(r"/v1/private/(traces|spans)(?:/(batch|feedback-scores)|/([^/]+)(/feedback-scores(?:/delete)?|/comments)?)?", _PREFIX.sub("", path))
        if not m or not isinstance(body, dict):
            return
        kind, batch, id_, sub = m.groups()
        if id_ == "threads":  # thread scores and comments: not part of a trace or span listing
            return
        if method == "POST" and batch == "batch":
            for item in body.get(kind, []):
                self._put(kind, item.get("id") or str(uuid.uuid4()), item)
        elif method == "POST" and not batch and not id_:
            self._put(kind, body.get("id") or str(uuid.uuid4()), body)
        elif method == "PATCH" and id_ and not sub:
            self._put(kind, id_, body)
        elif method == "PUT" and batch == "feedback-scores":
            for item in body.get("scores", []):
                if isinstance(item, dict) and item.get("id") and item.get("name"):
                    self.put_score(kind[:-1], item["id"], item)
        elif method == "PUT" and sub == "/feedback-scores" and body.get("name"):
            self.put_score(kind[:-1], id_, body)
        elif method == "POST" and sub == "/feedback-scores/delete":
            self.scores.get((kind[:-1], id_), {}).pop(body.get("name"), None)
        elif method == "POST" and sub == "/comments":
            self.add_comment(kind[:-1], id_, body.get("text", ""))

    # --- reads ----------------------------------------------------------------------
    def serve(self, method: str, path: str, query: dict) -> Response | None:
        m = re.fullmatch(r"/v1/private/(traces|spans)", _PREFIX.sub("", path))
        if method != "GET" or not m:
            return None
        kind = m.group(1)
        project = query.get("project_name") or "Default Project"
        found = [e for e in self.entities[kind].values() if (e.get("project_name") or "Default Project") == project
                 and _in_window(e.get("start_time"), query.get("from_time"), query.get("to_time"))
                 and (kind == "traces" or not query.get("trace_id") or e.get("trace_id") == query["trace_id"])]
        found.sort(key=lambda e: e["id"], reverse=True)
        page, size = _int(query.get("page"), 1), _int(query.get("size"), 10)
        content = [self._public(kind, e) for e in found[(page - 1) * size : page * size]]
        return JSONResponse({"page": page, "size": len(content), "total": len(found), "content": content})

    def _public(self, kind: str, e: dict) -> dict:
        out = {k: v for k, v in e.items() if not (kind == "traces" and k == "project_name")}  # Trace_Public has no project_name
        out.update(project_id="0190b8a2-0000-7000-8000-000000000001", last_updated_at=e["created_at"], created_by="admin", last_updated_by="admin")
        if e.get("start_time") and e.get("end_time"):
            out["duration"] = round((_when(e["end_time"]) - _when(e["start_time"])) * 1000, 3)
        scores = list(self.scores.get((kind[:-1], e["id"]), {}).values())
        comments = self.comments.get((kind[:-1], e["id"]), [])
        return {**out, **({"feedback_scores": scores} if scores else {}), **({"comments": comments} if comments else {})}


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
        return next((s["id"] for s in self.spans.values() if s.get("trace_id") == trace_id and not s.get("parent_id")), None)

    def serve(self, method: str, path: str, query: dict, body: Any, account: str) -> Response | None:
        if path == "/v5/spans/batch" and method in ("PUT", "POST"):
            return JSONResponse({"items": [self.put_span(i, account) for i in (body or {}).get("items", [])], "object": "list"})
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
        found = sorted((s for s in self.spans.values() if _in_window(s.get("start_timestamp"), query.get("from_ts"), query.get("to_ts"))),
                       key=lambda s: (_when(s.get("start_timestamp")) or 0, s.get("trace_id", ""), s["id"]))
        after = query.get("starting_after")
        if after is not None:
            ids = [s["id"] for s in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        limit = _int(query.get("limit"), 100)
        return JSONResponse({"items": found[:limit], "has_more": len(found) > limit, "total": 0, "limit": limit, "object": "list"})


class TraciaHistory:
    """Spans, as GET /api/v1/spans lists them (newest first; `cursor` / `nextCursor` and
    `hasMore`, both spellings, as tracia.md asks) and GET /api/v1/spans/{spanId} gives one.
    Evaluations are kept, and listed nowhere: Tracia has no API for that."""

    LISTED = ("id", "spanId", "traceId", "promptSlug", "model", "status", "latencyMs", "inputTokens", "outputTokens", "totalTokens", "cost", "createdAt")

    def __init__(self) -> None:
        self.spans: dict[str, dict] = {}
        self.evaluations: list[tuple[str, dict]] = []
        self._seq = 0

    def put_span(self, body: dict, created_at: str | None = None) -> dict:
        self._seq += 1
        base = {"parentSpanId": None, "promptSlug": None, "promptVersion": None, "variables": None, "output": None, "error": None,
                "cost": None, "tags": [], "userId": None, "sessionId": None, "traceId": None}
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
            return JSONResponse(span) if span else JSONResponse({"error": {"code": "NOT_FOUND", "message": "Span not found"}}, 404)
        if path != "/api/v1/spans":
            return None
        found = sorted((s for s in self.spans.values() if _in_window(s["createdAt"], query.get("startDate"), query.get("endDate"))),
                       key=lambda s: s["id"], reverse=True)
        if query.get("cursor"):
            found = [s for s in found if s["id"] < query["cursor"]]
        limit = min(_int(query.get("limit"), 50), 100)
        page, more = found[:limit], len(found) > limit
        cursor = page[-1]["id"] if more else None
        return JSONResponse({"spans": [{k: s.get(k) for k in self.LISTED} for s in page], "nextCursor": cursor, "cursor": cursor, "hasMore": more})


def history_for(vendor: str):
    if vendor == "langfuse":  # its fake keeps and answers in one place
        from .testing_langfuse import LangfuseHistory

        return LangfuseHistory()
    return {"opik": OpikHistory, "scale": ScaleHistory, "tracia": TraciaHistory}[vendor]()


__all__ = ["OpikHistory", "ScaleHistory", "TraciaHistory", "history_for"]
