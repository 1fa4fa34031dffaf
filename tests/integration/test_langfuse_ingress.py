"""Langfuse clients at the proxy: scores (one object -> 200 {"id"}; an array -> 202, or 207 naming
the refused), ingestion batches (always 207, by envelope id), DELETE, the auth check read, and
Langfuse's error shapes; their feedback reaches Opik and Scale field by field."""

from __future__ import annotations

import base64

import pytest

from proxy import ids, vendors
from tests.conftest import CLIENT_KEYS, PROFILES, settled, wait_for
from tests.integration.shapes import send

LANGFUSE_CLIENT_PUBLIC = PROFILES["langfuse"]["client"]["public_key"]

TARGET_RULE = (
    "Provide exactly one of the following: traceId (with optional observationId), sessionId or "
    "datasetRunId. ObservationId requires traceId."
)
TRACE, OBS = "7420155d50778037afc0bd9a5c923ab2", "0123456789abcdef"
WHEN = "2026-12-06T10:00:00.000Z"


@pytest.fixture(autouse=True)
def _langfuse_holds_nothing_yet(upstreams):
    """The session's fake Langfuse, its held scores, traces and observations emptied for this test."""
    upstreams["langfuse"].history = vendors.get("langfuse").fake().history()


def test_a_single_score_is_200_with_its_id_and_reaches_opik_and_scale(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik", "scale"]}])
    score = {
        "id": "score-1",
        "traceId": TRACE,
        "observationId": OBS,
        "name": "relevance",
        "value": 0.9,
        "comment": "on topic",
        "environment": "staging",
        "timestamp": WHEN,
        "metadata": {"run": 3},
    }
    resp = send(url, "langfuse", "POST", "/api/public/scores", score)
    assert (resp.status_code, resp.json()) == (200, {"id": "score-1"})
    settled(url)
    [opik] = upstreams["opik"].bodies("PUT", r"/spans/feedback-scores$")
    [item] = opik["scores"]
    assert {k: item[k] for k in ("name", "value", "reason", "source")} == {
        "name": "relevance",
        "value": 0.9,
        "reason": "on topic",
        "source": "sdk",
    }
    assert ids.is_uuid7(item["id"])
    [scale] = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert {k: scale[k] for k in ("trace_id", "span_id", "assessment_type", "comment")} == {
        "trace_id": TRACE,
        "span_id": OBS,
        "assessment_type": "metadata",
        "comment": "on topic",
    }
    assert scale["metadata"] == {"name": "relevance", "value": 0.9, "source": "api", "run": 3, "environment": "staging"}


def test_a_resent_score_id_updates_the_same_assessment(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["scale"]}])
    score = {"id": "score-2", "traceId": TRACE, "name": "helpful", "value": 1, "dataType": "BOOLEAN"}
    assert send(url, "langfuse", "POST", "/api/public/scores", score).status_code == 200
    settled(url)
    assert send(url, "langfuse", "POST", "/api/public/scores", {**score, "value": 0}).status_code == 200
    settled(url)
    assert [(r.method, r.path.split("/")[2]) for r in upstreams["scale"].received] == [
        ("POST", "span-assessments"),
        ("PATCH", "span-assessments"),
    ]
    first, second = (r.body["metadata"] for r in upstreams["scale"].received)
    assert (first["name"], first["value"], first["label"], first["scale"]) == ("helpful", 1, "True", [0, 1])
    assert (second["name"], second["value"], second["label"]) == ("helpful", 0, "False")


def test_an_array_of_scores_is_202_and_one_bad_score_makes_it_a_207_naming_it(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}])
    good = {
        "id": "a1",
        "traceId": TRACE,
        "name": "tone",
        "value": "polite",
        "dataType": "CATEGORICAL",
        "timestamp": WHEN,
    }
    resp = send(
        url,
        "langfuse",
        "POST",
        "/api/public/scores",
        [good, {"id": "a2", "traceId": TRACE, "name": "length", "value": 3.0}],
    )
    assert (resp.status_code, resp.json()) == (202, {"message": "Accepted"})
    resp = send(
        url, "langfuse", "POST", "/api/public/scores", [{**good, "id": "a3"}, {"id": "a4", "name": "x", "value": 1}]
    )
    assert resp.status_code == 207
    assert resp.json() == {"accepted": 1, "rejected": 1, "errors": [{"message": f"1: {TARGET_RULE}"}]}
    settled(url)
    items = [i for b in upstreams["opik"].bodies("PUT", r"/traces/feedback-scores$") for i in b["scores"]]
    assert sorted((i["name"], i["value"], i.get("category_name")) for i in items) == [
        ("length", 3.0, None),
        ("tone", 0, "polite"),
        ("tone", 0, "polite"),
    ]


def test_a_score_with_no_target_is_langfuse_s_400(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}])
    resp = send(url, "langfuse", "POST", "/api/public/scores", {"name": "x", "value": 1})
    assert resp.status_code == 400
    assert resp.json() == {
        "message": "Invalid request data",
        "error": [{"code": "custom", "message": TARGET_RULE, "path": []}],
    }
    resp = send(
        url,
        "langfuse",
        "POST",
        "/api/public/scores",
        {"traceId": TRACE, "name": "x", "value": 2, "dataType": "BOOLEAN"},
    )
    assert resp.status_code == 400 and resp.json()["message"] == "Invalid request data"
    assert resp.json()["error"][0]["path"] == ["value"]
    settled(url)
    assert upstreams["opik"].received == []


def test_ingestion_is_207_by_envelope_id_and_its_traces_spans_and_scores_reach_opik(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}])
    batch = [
        {
            "id": "e1",
            "type": "trace-create",
            "timestamp": WHEN,
            "body": {"id": TRACE, "name": "chat", "timestamp": WHEN, "sessionId": "s-1"},
        },
        {
            "id": "e2",
            "type": "generation-create",
            "timestamp": WHEN,
            "body": {
                "id": OBS,
                "traceId": TRACE,
                "name": "llm",
                "startTime": WHEN,
                "model": "gpt-4o",
                "usage": {"input": 3, "output": 1},
            },
        },
        {
            "id": "e3",
            "type": "score-create",
            "timestamp": WHEN,
            "body": {"id": "s-3", "traceId": TRACE, "observationId": OBS, "name": "ok", "value": 1},
        },
        {"id": "e4", "type": "score-create", "timestamp": WHEN, "body": {"name": "orphan", "value": 1}},
    ]
    resp = send(url, "langfuse", "POST", "/api/public/ingestion", {"batch": batch, "metadata": {"sdk_name": "python"}})
    assert resp.status_code == 207
    body = resp.json()
    assert body["successes"] == [{"id": "e1", "status": 201}, {"id": "e2", "status": 201}, {"id": "e3", "status": 201}]
    [error] = body["errors"]
    assert (error["id"], error["status"], error["message"]) == (
        "e4",
        400,
        "Invalid request data",
    ) and TARGET_RULE in error["error"]
    settled(url)
    [trace] = [t for b in upstreams["opik"].bodies("POST", r"/traces/batch$") for t in b["traces"]]
    [span] = [s for b in upstreams["opik"].bodies("POST", r"/spans/batch$") for s in b["spans"]]
    assert (trace["name"], trace["thread_id"], trace["start_time"]) == ("chat", "s-1", WHEN)
    assert (span["trace_id"], span["name"], span["type"], span["model"]) == (trace["id"], "llm", "llm", "gpt-4o")
    assert span["usage"] == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    [score] = [s for b in upstreams["opik"].bodies("PUT", r"/spans/feedback-scores$") for s in b["scores"]]
    assert (score["id"], score["name"], score["value"]) == (span["id"], "ok", 1)


def test_a_malformed_ingestion_body_is_its_own_400(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}])
    resp = send(url, "langfuse", "POST", "/api/public/ingestion", {"events": []})
    assert resp.status_code == 400
    assert list(resp.json()) == ["message", "errors"] and resp.json()["message"] == "Invalid request data"


def test_a_delete_is_202_and_reaches_opik_by_name(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}])
    score = {"id": "d-1", "traceId": TRACE, "name": "relevance", "value": 0.5}
    assert send(url, "langfuse", "POST", "/api/public/scores", score).status_code == 200
    resp = send(url, "langfuse", "DELETE", "/api/public/scores/d-1")
    assert (resp.status_code, resp.json()) == (202, {"message": "Score deletion queued successfully"})
    resp = send(url, "langfuse", "DELETE", "/api/public/scores/never-seen")
    assert (resp.status_code, resp.json()) == (202, {"message": "Score deletion queued successfully"})
    deleted = wait_for(lambda: upstreams["opik"].bodies("POST", r"/feedback-scores/delete$"), what="the delete at Opik")
    assert deleted == [{"name": "relevance"}]
    settled(url)
    assert len(upstreams["opik"].bodies("POST", r"/feedback-scores/delete$")) == 1


def test_clients_are_known_by_their_secret_key(live_proxy, upstreams):
    url = live_proxy(
        [{"from": "langfuse", "mirrors": ["opik"]}], clients=[{"name": "app", "key": CLIENT_KEYS["langfuse"]}]
    )
    assert send(url, "langfuse", "GET", "/api/public/projects").json()["data"][0]["id"] == "feedback-proxy"
    other_public = "Basic " + base64.b64encode(f"pk-lf-another:{CLIENT_KEYS['langfuse']}".encode()).decode()
    assert send(url, "langfuse", "GET", "/api/public/projects", authorization=other_public).status_code == 200
    wrong = "Basic " + base64.b64encode(f"{LANGFUSE_CLIENT_PUBLIC}:sk-lf-wrong".encode()).decode()
    score = {"traceId": TRACE, "name": "x", "value": 1}
    for headers in (
        {"authorization": wrong},
        {"authorization": ""},
        {"authorization": f"Bearer {LANGFUSE_CLIENT_PUBLIC}"},
    ):
        resp = send(url, "langfuse", "POST", "/api/public/scores", score, **headers)
        assert resp.status_code == 401 and list(resp.json()) == ["message"], resp.text
    settled(url)
    assert upstreams["opik"].received == []


def test_a_dataset_run_score_is_taken_and_a_dead_letter_at_once_where_no_run_exists(live_proxy, upstreams, tmp_path):
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik", "langfuse"]}], store=f"sqlite:///{tmp_path}/proxy.db")
    resp = send(
        url,
        "langfuse",
        "POST",
        "/api/public/scores",
        {"id": "r-1", "datasetRunId": "run-123", "name": "m", "value": 0.5},
    )
    assert (resp.status_code, resp.json()) == (200, {"id": "r-1"})
    settled(url)
    [kept] = upstreams["langfuse"].bodies("POST", r"^/api/public/scores$")  # back into Langfuse: the run is kept
    assert (kept["datasetRunId"], kept["id"], kept["value"]) == ("run-123", "r-1", 0.5)
    from proxy.store.sqlite import SQLiteStore

    (dead,) = SQLiteStore(str(tmp_path / "proxy.db")).dead_letters()
    assert dead.upstream == "opik" and "opik has no endpoint for upsert on a run" in dead.last_error
    assert upstreams["opik"].received == []


def test_a_bearer_public_key_is_taken_for_scores_only(live_proxy, upstreams):
    clients = [{"name": "app", "key": CLIENT_KEYS["langfuse"], "scoped_keys": [LANGFUSE_CLIENT_PUBLIC]}]
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}], clients=clients)
    bearer = {"authorization": f"Bearer {LANGFUSE_CLIENT_PUBLIC}"}
    score = {"id": "b-1", "traceId": TRACE, "name": "thumbs", "value": 1}
    resp = send(url, "langfuse", "POST", "/api/public/scores", score, **bearer)
    assert (resp.status_code, resp.json()) == (200, {"id": "b-1"})
    event = {"id": "e1", "type": "score-create", "timestamp": WHEN, "body": {**score, "id": "b-2"}}
    for method, path, body in (
        ("POST", "/api/public/ingestion", {"batch": [event]}),
        ("GET", "/api/public/projects", None),
        ("DELETE", "/api/public/scores/b-1", None),
    ):
        resp = send(url, "langfuse", method, path, body, **bearer)
        assert (resp.status_code, resp.json()) == (
            403,
            {"message": "Access denied - insufficient permissions for this endpoint"},
        )
    resp = send(url, "langfuse", "POST", "/api/public/scores", score, authorization="Bearer pk-lf-unknown")
    assert resp.status_code == 401 and list(resp.json()) == ["message"]
    [opik] = wait_for(lambda: upstreams["opik"].bodies("PUT", r"/traces/feedback-scores$"), what="the score at Opik")
    assert [(s["name"], s["value"]) for s in opik["scores"]] == [("thumbs", 1)]
    settled(url)
    assert len(upstreams["opik"].received) == 1


def test_sdk4_s_resent_batch_after_a_207_makes_nothing_twice(live_proxy, upstreams):
    """SDK 4.x sends a batch whose 207 names errors twice more, same envelope and score ids: the
    scores it carried are the same assessments, and reach Scale once."""
    url = live_proxy([{"from": "langfuse", "mirrors": ["scale"]}])
    good = {
        "id": "g1",
        "type": "score-create",
        "timestamp": WHEN,
        "body": {"id": "s-g1", "traceId": TRACE, "name": "ok", "value": 0.7, "comment": "fine"},
    }
    bad = {"id": "b1", "type": "score-create", "timestamp": WHEN, "body": {"id": "s-b1", "name": "lost", "value": 1}}
    for _ in range(3):
        resp = send(url, "langfuse", "POST", "/api/public/ingestion", {"batch": [good, bad]})
        assert resp.status_code == 207 and [e["id"] for e in resp.json()["errors"]] == ["b1"]
        settled(url)
    [made] = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert (made["trace_id"], made["comment"], made["metadata"]["value"]) == (TRACE, "fine", 0.7)
    assert [r.method for r in upstreams["scale"].received] == ["POST"]


def test_the_sdk5_otlp_export_protobuf_gzip_becomes_spans_at_opik(live_proxy, upstreams):
    """The captured SDK 5.2.0 export (protobuf, gzip), read by the shared OTLP decoding: its root span
    is an Opik trace, its generation an Opik llm span under it, with the Langfuse attributes read."""
    import gzip

    capture = vendors.get("langfuse").fixtures / "POST_api_public_otel_v1_traces.json"
    raw = base64.b64decode(__import__("json").loads(capture.read_text())["body_info"]["body_base64"])
    url = live_proxy([{"from": "langfuse", "mirrors": ["opik"]}])
    resp = send(
        url,
        "langfuse",
        "POST",
        "/api/public/otel/v1/traces",
        content=gzip.compress(raw),
        **{"content-type": "application/x-protobuf", "content-encoding": "gzip"},
    )
    assert resp.status_code == 200, resp.text
    settled(url)
    [trace] = [t for b in upstreams["opik"].bodies("POST", r"/traces/batch$") for t in b["traces"]]
    spans = {s["name"]: s for b in upstreams["opik"].bodies("POST", r"/spans/batch$") for s in b["spans"]}
    assert (trace["name"], trace["input"], trace["output"], trace["thread_id"]) == (
        "root-span",
        {"q": "hi"},
        {"a": "hello"},
        "sess-1",
    )
    llm = spans["llm-call"]
    assert (llm["trace_id"], llm["type"], llm["model"], llm["output"]) == (trace["id"], "llm", "gpt-x", "hello")
    assert llm["input"] == [{"role": "user", "content": "hi"}]
    assert llm["usage"] == {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    resp = send(
        url,
        "langfuse",
        "POST",
        "/api/public/otel/v1/traces",
        content=b"\x00garbage",
        **{"content-type": "application/x-protobuf"},
    )
    assert resp.status_code == 400 and list(resp.json()) == ["error"]
