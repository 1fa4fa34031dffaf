"""The fake Opik upstream (proxy/testing.py runs it): 204 for scores and deletes, 201 + Location
for creates; its history (traces and spans with their scores and comments) served back by its
read API, paged, for the back-fill's tests.

    fake.history.put_trace({...Trace_Write...}); fake.history.put_score("trace", id, {...})
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from proxy.testing_history import in_window, now, positive_int, when

_PREFIX = re.compile(r"^(/opik/api|/api)?(?=/v1/)")


def history() -> OpikHistory:
    return OpikHistory()


def answer(fake, r, url: str) -> Response:
    """`fake`: the FakeVendor (its history, keep); `r`: the Received request; `url`: as it was called."""
    served = fake.history.serve(r.method, r.path, r.query)
    if served is not None:
        return served
    fake.keep(r)
    if r.path.endswith("/is-alive/ping"):
        return JSONResponse({"healthy": True})
    if "/manual-evaluation/" in r.path:  # before creates: it ends in /traces or /spans too
        return JSONResponse(
            {"entities_queued": len(r.body.get("entity_ids", [])), "rules_applied": len(r.body.get("rule_ids", []))},
            202,
        )
    if r.method == "POST" and re.search(r"/(comments|traces|spans)$", r.path):
        return Response(status_code=201, headers={"Location": f"{url}/{uuid.uuid4()}"})
    if r.method in ("PUT", "POST", "PATCH"):
        return Response(status_code=204)
    return JSONResponse({"code": 404, "message": "HTTP 404 Not Found"}, 404)


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
        self.scores[(kind, id_)][item["name"]] = {
            **score,
            "created_at": prior["created_at"] if prior else stamp,
            "last_updated_at": stamp,
            "created_by": author,
            "last_updated_by": author,
            "value_by_author": {
                author: {"value": item["value"], "source": item.get("source"), "last_updated_at": stamp}
            },
        }

    def add_comment(self, kind: str, id_: str, text: str) -> str:
        cid = str(uuid.uuid4())
        self.comments.setdefault((kind, id_), []).append(
            {"id": cid, "text": text, "created_at": now(), "created_by": "admin"}
        )
        return cid

    def keep(self, method: str, path: str, body: Any) -> None:
        m = re.fullmatch(
            r"/v1/private/(traces|spans)"
            r"(?:/(batch|feedback-scores)|/([^/]+)(/feedback-scores(?:/delete)?|/comments)?)?",
            _PREFIX.sub("", path),
        )
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
        found = [
            e
            for e in self.entities[kind].values()
            if (e.get("project_name") or "Default Project") == project
            and in_window(e.get("start_time"), query.get("from_time"), query.get("to_time"))
            and (kind == "traces" or not query.get("trace_id") or e.get("trace_id") == query["trace_id"])
        ]
        found.sort(key=lambda e: e["id"], reverse=True)
        page, size = positive_int(query.get("page"), 1), positive_int(query.get("size"), 10)
        content = [self._public(kind, e) for e in found[(page - 1) * size : page * size]]
        return JSONResponse({"page": page, "size": len(content), "total": len(found), "content": content})

    def _public(self, kind: str, e: dict) -> dict:
        out = {
            k: v for k, v in e.items() if not (kind == "traces" and k == "project_name")
        }  # Trace_Public has no project_name
        out.update(
            project_id="0190b8a2-0000-7000-8000-000000000001",
            last_updated_at=e["created_at"],
            created_by="admin",
            last_updated_by="admin",
        )
        if e.get("start_time") and e.get("end_time"):
            out["duration"] = round((when(e["end_time"]) - when(e["start_time"])) * 1000, 3)
        scores = list(self.scores.get((kind[:-1], e["id"]), {}).values())
        comments = self.comments.get((kind[:-1], e["id"]), [])
        return {
            **out,
            **({"feedback_scores": scores} if scores else {}),
            **({"comments": comments} if comments else {}),
        }
