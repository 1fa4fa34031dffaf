"""The fake Langfuse upstream (proxy/testing.py runs it): answers as Langfuse's public API does
and keeps what it was sent, served back through its read API.

    fake.history.scores          # id -> the score as GET /api/public/v3/scores gives it
    fake.history.traces          # id -> trace (trace-create events, merged)
    fake.history.observations    # id -> observation (span-/generation-/event- create and update, merged)

Writes: POST /api/public/scores (one object: 200 {"id"}; an array: 202, or 207 naming the refused),
POST /api/public/ingestion (207 by envelope id), DELETE /api/public/scores/{id} (202, any id).
Reads: GET /api/public/v3/scores (cursor pages), /api/public/traces and /api/public/observations
(page, limit), /api/public/projects, /api/public/health. Credentials: Basic (a missing header is 401).
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from proxy.testing_history import in_window, now, positive_int

from .fake_schema import OBSERVATION_TYPES, score_problem


def history() -> LangfuseHistory:
    return LangfuseHistory()


def answer(fake, r, url: str) -> Response:
    return fake.history.answer(r.method, r.path, r.query, r.headers, r.body)


class LangfuseHistory:
    def __init__(self) -> None:
        self.scores: dict[str, dict] = {}
        self.traces: dict[str, dict] = {}
        self.observations: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.envelopes: set[str] = set()
        self.refuse = None  # a test's fault: event -> the message to refuse it with, or None

    # --- writes ---------------------------------------------------------------------
    def put_score(self, body: dict, timestamp: str | None = None) -> str:
        sid = body.get("id") or str(uuid.uuid4())
        stamp = now()
        value, kind = body.get("value"), body.get("dataType")
        if kind is None:
            kind = "NUMERIC" if isinstance(value, (int, float)) else "CATEGORICAL"
        if kind == "BOOLEAN":
            value = bool(value)
        subject = (
            {"kind": "observation", "id": body["observationId"], "traceId": body["traceId"]}
            if body.get("observationId")
            else (
                {"kind": "trace", "id": body["traceId"]}
                if body.get("traceId")
                else (
                    {"kind": "session", "id": body["sessionId"]}
                    if body.get("sessionId")
                    else {"kind": "experiment", "id": body.get("datasetRunId")}
                )
            )
        )
        prior = self.scores.get(sid, {})
        self.scores[sid] = {
            "id": sid,
            "projectId": "fake-project",
            "name": body.get("name"),
            "value": value,
            "dataType": kind,
            "source": body.get("source") or "API",
            "timestamp": body.get("timestamp") or timestamp or stamp,
            "environment": body.get("environment") or "default",
            "createdAt": prior.get("createdAt", stamp),
            "updatedAt": stamp,
            "comment": body.get("comment"),
            "configId": body.get("configId"),
            "metadata": body.get("metadata") or {},
            "subject": subject,
            "traceId": body.get("traceId"),
            "observationId": body.get("observationId"),
            "sessionId": body.get("sessionId"),
        }
        return sid

    def put_trace(self, body: dict, timestamp: str | None = None) -> None:
        tid = body.get("id") or str(uuid.uuid4())
        known = self.traces.setdefault(
            tid,
            {
                "id": tid,
                "timestamp": body.get("timestamp") or timestamp or now(),
                "createdAt": now(),
                "projectId": "fake-project",
            },
        )
        known.update({k: v for k, v in body.items() if v is not None})

    def put_observation(self, kind: str, body: dict, timestamp: str | None = None) -> None:
        oid = body.get("id") or str(uuid.uuid4())
        known = self.observations.setdefault(
            oid, {"id": oid, "type": kind.upper(), "startTime": timestamp or now(), "projectId": "fake-project"}
        )
        known.update({k: v for k, v in body.items() if v is not None})
        if body.get("traceId") and body["traceId"] not in self.traces:  # Langfuse makes the trace an observation names
            self.put_trace({"id": body["traceId"]}, timestamp)

    def event(self, event: Any) -> dict:
        """One ingestion event -> its success or error, as /api/public/ingestion lists them."""
        eid = event.get("id") if isinstance(event, dict) else None
        if not isinstance(eid, str) or not isinstance(event.get("body"), dict) or not event.get("timestamp"):
            return {
                "id": eid if isinstance(eid, str) else "unknown",
                "status": 400,
                "message": "Invalid request data",
                "error": "id, timestamp and body are required",
            }
        kind, body = event.get("type"), event["body"]
        refused = self.refuse(event) if self.refuse is not None else None
        if refused:
            return {"id": eid, "status": 400, "message": "Invalid request data", "error": refused}
        if kind == "score-create":
            problem = score_problem(body)
            if problem:
                return {"id": eid, "status": 400, "message": "Invalid request data", "error": problem}
            self.put_score(body, event["timestamp"])
        elif kind == "trace-create":
            self.put_trace(body, event["timestamp"])
        elif (
            isinstance(kind, str)
            and kind.rsplit("-", 1)[0] in OBSERVATION_TYPES
            and kind.rsplit("-", 1)[1] in ("create", "update")
        ):
            if not body.get("id"):
                return {"id": eid, "status": 400, "message": "Invalid request data", "error": "body.id: Required"}
            self.put_observation(kind.rsplit("-", 1)[0], body, event["timestamp"])
        elif kind != "sdk-log":
            return {
                "id": eid,
                "status": 400,
                "message": "Invalid request data",
                "error": f"Invalid event type {kind!r}",
            }
        self.envelopes.add(eid)
        return {"id": eid, "status": 201}

    # --- the fake's answers -----------------------------------------------------------
    def answer(self, method: str, path: str, query: dict, headers: dict, body: Any) -> Response:
        if path == "/api/public/health":
            return JSONResponse({"status": "OK", "version": "fake"})
        if not headers.get("authorization"):
            return JSONResponse({"message": "No authorization header"}, 401)
        if not _basic(headers["authorization"]) and not (path == "/api/public/scores" and method == "POST"):
            return JSONResponse(
                {"message": "Invalid credentials. Confirm that you've configured the correct host."}, 401
            )
        if method == "POST" and path == "/api/public/scores":
            return self._scores(body)
        if method == "POST" and path == "/api/public/ingestion":
            if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
                return JSONResponse({"message": "Invalid request data", "errors": ["Required"]}, 400)
            results = [self.event(e) for e in body["batch"]]
            return JSONResponse(
                {
                    "successes": [r for r in results if r["status"] == 201],
                    "errors": [r for r in results if r["status"] != 201],
                },
                207,
            )
        m = re.fullmatch(r"/api/public/scores/([^/]+)", path)
        if m and method == "DELETE":
            self.deleted.append(m.group(1))
            self.scores.pop(m.group(1), None)
            return JSONResponse({"message": "Score deletion queued successfully"}, 202)
        if method == "GET":
            served = self.serve(path, query)
            if served is not None:
                return served
        return JSONResponse({"message": "Not Found", "error": "LangfuseNotFoundError"}, 404)

    def _scores(self, body: Any) -> Response:
        if isinstance(body, list):
            errors = [{"message": p} for p in map(score_problem, body) if p]
            for item in body:
                if not score_problem(item):
                    self.put_score(item)
            if errors:
                return JSONResponse(
                    {"accepted": len(body) - len(errors), "rejected": len(errors), "errors": errors}, 207
                )
            return JSONResponse({"message": "Accepted"}, 202)
        problem = score_problem(body)
        if problem:
            return JSONResponse(
                {"message": "Invalid request data", "error": [{"code": "custom", "message": problem, "path": []}]}, 400
            )
        return JSONResponse(
            {"id": self.put_score({**body, "timestamp": None})}
        )  # the single route stamps the request time

    # --- reads -----------------------------------------------------------------------
    def serve(self, path: str, query: dict) -> Response | None:
        if path == "/api/public/projects":
            return JSONResponse({"data": [{"id": "fake-project", "name": "fake", "metadata": {}}]})
        if path == "/api/public/v3/scores":
            return self._scores_v3(query)
        if path in ("/api/public/traces", "/api/public/observations"):
            found = self.traces if path.endswith("traces") else self.observations
            stamp = "timestamp" if path.endswith("traces") else "startTime"
            rows = sorted(
                (
                    o
                    for o in found.values()
                    if in_window(o.get(stamp), query.get("fromTimestamp"), query.get("toTimestamp"))
                    and (not query.get("traceId") or o.get("traceId") == query["traceId"])
                ),
                key=lambda o: (o.get(stamp) or "", o["id"]),
            )
            page, limit = positive_int(query.get("page"), 1), min(positive_int(query.get("limit"), 50), 100)
            data = rows[(page - 1) * limit : page * limit]
            pages = (len(rows) + limit - 1) // limit
            return JSONResponse(
                {"data": data, "meta": {"page": page, "limit": limit, "totalItems": len(rows), "totalPages": pages}}
            )
        return None

    def _scores_v3(self, query: dict) -> Response:
        limit = positive_int(query.get("limit"), 50)
        if limit > 100:
            return JSONResponse(
                {
                    "message": "Invalid request data",
                    "error": [
                        {"code": "too_big", "path": ["limit"], "message": "Number must be less than or equal to 100"}
                    ],
                },
                400,
            )
        rows = sorted(
            (
                s
                for s in self.scores.values()
                if in_window(s["timestamp"], query.get("fromTimestamp"), query.get("toTimestamp"))
                and all(
                    not query.get(k) or s.get(k) == query[k] for k in ("traceId", "observationId", "sessionId", "name")
                )
            ),
            key=lambda s: (s["timestamp"], s["id"]),
        )
        start = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
        page = rows[start : start + limit]
        meta: dict = {"limit": limit}
        if start + limit < len(rows):
            meta["cursor"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        public = [{k: v for k, v in s.items() if k not in ("traceId", "observationId", "sessionId")} for s in page]
        return JSONResponse({"data": public, "meta": meta})


def _basic(header: str) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, colon, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return False
    return bool(colon and user and secret)
