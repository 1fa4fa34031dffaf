"""Opik, Tracia and Scale clients' feedback reaches a Langfuse mirror, field by field: one score
object per POST /api/public/scores, the traces and observations they are about as ingestion
events, deletes as DELETE /api/public/scores/{id}, with the upstream's own Basic credentials."""

from __future__ import annotations

import time

import pytest

from proxy import vendors
from tests.conftest import UPSTREAM_HEADERS, settled, wait_for
from tests.integration.shapes import send

TRACE = "01a2105d-41f8-77e4-83f2-4905344d3b48"
SPAN = "01a2105d-41f8-77e4-83f2-4905344d3b49"
START, END = "2026-12-06T10:00:00.000Z", "2026-12-06T10:00:01.000Z"


@pytest.fixture(autouse=True)
def _langfuse_holds_nothing_yet(upstreams):
    """The session's fake Langfuse, its held scores, traces and observations emptied for this test."""
    upstreams["langfuse"].history = vendors.get("langfuse").fake().history()


def scores_at(fake) -> list[dict]:
    return fake.bodies("POST", r"^/api/public/scores$")


def events_at(fake) -> list[dict]:
    return [e for b in fake.bodies("POST", r"^/api/public/ingestion$") for e in b["batch"]]


def test_opik_trace_and_span_scores_reach_langfuse_on_the_same_ids(live_proxy, upstreams):
    lf = upstreams["langfuse"]
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}])
    traces = {
        "traces": [
            {
                "id": TRACE,
                "name": "chat",
                "start_time": START,
                "end_time": END,
                "input": {"q": "2+2"},
                "thread_id": "thread-7",
                "tags": ["t1"],
                "project_name": "Demo",
            }
        ]
    }
    spans = {
        "spans": [
            {
                "id": SPAN,
                "trace_id": TRACE,
                "name": "llm",
                "type": "llm",
                "start_time": START,
                "end_time": END,
                "model": "gpt-4o",
                "usage": {"prompt_tokens": 3, "completion_tokens": 1},
                "output": {"a": "4"},
            }
        ]
    }
    assert send(url, "opik", "POST", "/api/v1/private/traces/batch", traces).status_code == 204
    assert send(url, "opik", "POST", "/api/v1/private/spans/batch", spans).status_code == 204
    trace_scores = {
        "scores": [
            {
                "id": TRACE,
                "name": "accuracy",
                "value": 0.75,
                "reason": "close",
                "source": "sdk",
                "project_name": "Demo",
            },
            {"id": TRACE, "name": "tone", "value": 1, "category_name": "polite", "source": "ui"},
        ]
    }
    span_scores = {"scores": [{"id": SPAN, "name": "relevance", "value": 0.5, "source": "sdk"}]}
    assert send(url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", trace_scores).status_code == 204
    assert send(url, "opik", "PUT", "/api/v1/private/spans/feedback-scores", span_scores).status_code == 204
    settled(url)

    events = {e["type"]: e for e in events_at(lf)}
    assert events["trace-create"]["body"] == {
        "id": TRACE,
        "name": "chat",
        "timestamp": START,
        "input": {"q": "2+2"},
        "metadata": {"project": "Demo"},
        "tags": ["t1"],
        "sessionId": "thread-7",
    }
    assert events["generation-create"]["body"] == {
        "id": SPAN,
        "traceId": TRACE,
        "name": "llm",
        "startTime": START,
        "endTime": END,
        "output": {"a": "4"},
        "metadata": {},
        "model": "gpt-4o",
        "usage": {"input": 3, "output": 1, "total": 4},
    }
    assert lf.history.observations[SPAN]["traceId"] == TRACE

    by_name = {s["name"]: s for s in scores_at(lf)}
    accuracy, tone, relevance = by_name["accuracy"], by_name["tone"], by_name["relevance"]
    assert {k: accuracy[k] for k in ("traceId", "value", "dataType", "comment")} == {
        "traceId": TRACE,
        "value": 0.75,
        "dataType": "NUMERIC",
        "comment": "close",
    }
    assert accuracy["metadata"] == {"source": "sdk", "project": "Demo"} and "observationId" not in accuracy
    assert accuracy["timestamp"].endswith("Z") and len(accuracy["id"]) == 36  # the proxy's record id: a re-send upserts
    assert {k: tone[k] for k in ("traceId", "value", "dataType")} == {
        "traceId": TRACE,
        "value": "polite",
        "dataType": "CATEGORICAL",
    }
    assert tone["metadata"] == {"source": "ui", "value": 1}  # the number beside the label rides in metadata
    assert {k: relevance[k] for k in ("traceId", "observationId", "value", "dataType")} == {
        "traceId": TRACE,
        "observationId": SPAN,
        "value": 0.5,
        "dataType": "NUMERIC",
    }
    assert all(r.headers["authorization"] == UPSTREAM_HEADERS["langfuse"]["Authorization"] for r in lf.received)
    assert {s["id"] for s in lf.history.scores.values()} == {accuracy["id"], tone["id"], relevance["id"]}


def test_an_opik_re_score_and_delete_act_on_the_same_langfuse_score(live_proxy, upstreams):
    lf = upstreams["langfuse"]
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}])
    score = {"id": TRACE, "name": "accuracy", "value": 0.2, "source": "sdk"}
    assert send(url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [score]}).status_code == 204
    assert (
        send(
            url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [{**score, "value": 0.9}]}
        ).status_code
        == 204
    )
    settled(url)
    first, second = scores_at(lf)
    assert first["id"] == second["id"] and (first["value"], second["value"]) == (0.2, 0.9)
    assert (
        send(
            url, "opik", "POST", f"/api/v1/private/traces/{TRACE}/feedback-scores/delete", {"name": "accuracy"}
        ).status_code
        == 204
    )
    settled(url)
    assert lf.history.deleted == [first["id"]] and lf.history.scores == {}


def test_an_opik_thread_score_is_a_langfuse_session_score(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}])
    body = {
        "scores": [{"thread_id": "thread-9", "name": "resolved", "value": 1, "source": "sdk", "project_name": "Demo"}]
    }
    assert send(url, "opik", "PUT", "/api/v1/private/traces/threads/feedback-scores", body).status_code == 204
    [score] = wait_for(lambda: scores_at(upstreams["langfuse"]), what="the session score")
    assert {k: score[k] for k in ("sessionId", "name", "value", "dataType")} == {
        "sessionId": "thread-9",
        "name": "resolved",
        "value": 1,
        "dataType": "NUMERIC",
    }
    assert "traceId" not in score


def test_an_opik_comment_is_a_text_score(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}])
    resp = send(url, "opik", "POST", f"/api/v1/private/traces/{TRACE}/comments", {"text": "needs a source"})
    assert resp.status_code == 201
    [score] = wait_for(lambda: scores_at(upstreams["langfuse"]), what="the comment")
    assert {k: score[k] for k in ("traceId", "name", "value", "dataType")} == {
        "traceId": TRACE,
        "name": "comment",
        "value": "needs a source",
        "dataType": "TEXT",
    }


def test_a_tracia_span_and_its_evaluation_reach_langfuse(live_proxy, upstreams):
    lf = upstreams["langfuse"]
    url = live_proxy([{"from": "tracia", "mirrors": ["langfuse"]}])
    span = {
        "spanId": "sp_0123456789abcdef",
        "traceId": "tr_0123456789abcdef",
        "model": "gpt-4o",
        "provider": "openai",
        "input": {"messages": [{"role": "user", "content": "2+2"}]},
        "output": "4",
        "status": "SUCCESS",
        "latencyMs": 12,
        "inputTokens": 3,
        "outputTokens": 1,
        "totalTokens": 4,
    }
    assert send(url, "tracia", "POST", "/api/v1/spans", span).status_code == 200
    resp = send(
        url,
        "tracia",
        "POST",
        "/api/v1/spans/sp_0123456789abcdef/evaluations",
        {"evaluatorKey": "quality", "value": 1, "note": "ok"},
    )
    assert resp.status_code == 200
    settled(url)
    [score] = scores_at(lf)
    assert {k: score[k] for k in ("traceId", "observationId", "name", "value", "dataType", "comment")} == {
        "traceId": "tr_0123456789abcdef",
        "observationId": "sp_0123456789abcdef",
        "name": "quality",
        "value": 1,
        "dataType": "NUMERIC",
        "comment": "ok",
    }
    assert score["metadata"] == {"scale": [0, 1], "source": "api"}
    types = sorted(e["type"] for e in events_at(lf))
    assert types == ["generation-create", "trace-create"]  # a Tracia root span is a Langfuse trace and an observation
    assert lf.history.traces["tr_0123456789abcdef"]["id"] == "tr_0123456789abcdef"
    assert lf.history.observations["sp_0123456789abcdef"]["model"] == "gpt-4o"


def test_scale_assessments_reach_langfuse_by_type(live_proxy, upstreams):
    url = live_proxy([{"from": "scale", "mirrors": ["langfuse"]}])
    for body in (
        {"assessment_type": "rating", "trace_id": "trace-1", "span_id": "span-1", "rating": 4, "comment": "good"},
        {"assessment_type": "approval", "trace_id": "trace-1", "approval": "rejected"},
        {"assessment_type": "comment", "trace_id": "trace-1", "comment": "see the logs"},
    ):
        assert send(url, "scale", "POST", "/v5/span-assessments", body).status_code == 200
    settled(url)
    by_name = {s["name"]: s for s in scores_at(upstreams["langfuse"])}
    assert {k: by_name["rating"][k] for k in ("traceId", "observationId", "value", "dataType", "comment")} == {
        "traceId": "trace-1",
        "observationId": "span-1",
        "value": 4,
        "dataType": "NUMERIC",
        "comment": "good",
    }
    assert by_name["rating"]["metadata"] == {"scale": [1, 5], "source": "api"}
    assert {k: by_name["approval"][k] for k in ("traceId", "value", "dataType")} == {
        "traceId": "trace-1",
        "value": "rejected",
        "dataType": "CATEGORICAL",
    }
    assert {k: by_name["comment"][k] for k in ("traceId", "value", "dataType")} == {
        "traceId": "trace-1",
        "value": "see the logs",
        "dataType": "TEXT",
    }


def test_a_langfuse_429_waits_for_retry_after_and_a_refused_event_is_a_dead_letter(live_proxy, upstreams, tmp_path):
    lf = upstreams["langfuse"]
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}], store=f"sqlite:///{tmp_path}/proxy.db")
    lf.fail_next(1, 429, {"message": "Rate limit exceeded", "code": "rate_limited"}, {"Retry-After": "1"})
    score = {"scores": [{"id": TRACE, "name": "accuracy", "value": 0.5, "source": "sdk"}]}
    assert send(url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", score).status_code == 204
    settled(url)
    first, second = [r for r in lf.received if r.path == "/api/public/scores"]
    assert first.body == second.body and second.at - first.at >= 0.95  # the pause it asked for
    lf.history.refuse = lambda event: "span name is reserved" if event["body"].get("name") == "bad" else None
    spans = {
        "spans": [
            {"id": SPAN, "trace_id": TRACE, "name": "bad", "start_time": START},
            {"id": "01a2105d-41f8-77e4-83f2-4905344d3b50", "trace_id": TRACE, "name": "good", "start_time": START},
        ]
    }
    assert send(url, "opik", "POST", "/api/v1/private/spans/batch", spans).status_code == 204
    settled(url)
    assert set(lf.history.observations) == {"01a2105d-41f8-77e4-83f2-4905344d3b50"}
    from proxy.store.sqlite import SQLiteStore

    (dead,) = SQLiteStore(str(tmp_path / "proxy.db")).dead_letters()
    assert dead.upstream == "langfuse" and dead.record.span_id.value == SPAN
    assert (
        "refused it (207 to POST /api/public/ingestion): Invalid request data: span name is reserved" in dead.last_error
    )


def test_a_langfuse_client_naming_the_mirrored_score_s_id_reaches_the_opik_score(live_proxy, upstreams):
    """One identity: the id Langfuse holds an Opik score under (learned from its answer) names the
    same record for a Langfuse client; its delete reaches Opik as a delete by name."""
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}, {"from": "langfuse", "mirrors": ["opik"]}])
    score = {"id": TRACE, "name": "accuracy", "value": 0.4, "source": "sdk"}
    assert send(url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [score]}).status_code == 204
    [held] = wait_for(lambda: scores_at(upstreams["langfuse"]), what="the score at Langfuse")
    settled(url)
    resp = send(url, "langfuse", "DELETE", f"/api/public/scores/{held['id']}")
    assert (resp.status_code, resp.json()) == (202, {"message": "Score deletion queued successfully"})
    deleted = wait_for(lambda: upstreams["opik"].bodies("POST", r"/feedback-scores/delete$"), what="the delete at Opik")
    assert deleted == [{"name": "accuracy"}]
    assert [r.path for r in upstreams["opik"].received] == [f"/api/v1/private/traces/{TRACE}/feedback-scores/delete"]


def test_an_opik_re_score_keeps_the_first_timestamp_so_langfuse_updates_the_same_row(live_proxy, upstreams):
    """Langfuse keys a score by id, name and the day of its timestamp: a re-score sent with a new
    timestamp on another day would be a second row; the proxy sends the time it was first given."""
    url = live_proxy([{"from": "opik", "mirrors": ["langfuse"]}])
    score = {"id": TRACE, "name": "accuracy", "value": 0.2, "source": "sdk"}
    assert send(url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [score]}).status_code == 204
    settled(url)
    time.sleep(0.01)  # a later millisecond: the second request's own time differs
    assert (
        send(
            url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [{**score, "value": 0.3}]}
        ).status_code
        == 204
    )
    settled(url)
    first, second = scores_at(upstreams["langfuse"])
    assert (first["id"], first["timestamp"]) == (second["id"], second["timestamp"]) and second["value"] == 0.3
