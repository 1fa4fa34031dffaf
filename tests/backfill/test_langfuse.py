"""Langfuse as a source and as a target of the back-fill: its traces, observations (page pages)
and v3 scores (cursor pages) into Opik, on the ids live traffic would have used; and Opik's
history into Langfuse, written as live traffic is (ingestion events, one score object a POST)."""

from __future__ import annotations

from proxy.store.sqlite import SQLiteStore

from .conftest import backfill, seed_opik, write_config

T1, T2, OBS = "7420155d50778037afc0bd9a5c923ab2", "8420155d50778037afc0bd9a5c923ab2", "0123456789abcdef"


def seed_langfuse(h, scores: int = 150) -> None:
    h.put_trace(
        {
            "id": T1,
            "name": "chat",
            "timestamp": "2026-02-01T10:00:00.000Z",
            "input": {"q": "2+2"},
            "output": {"a": "4"},
            "sessionId": "sess-1",
            "tags": ["prod"],
            "metadata": {"turn": 1},
        }
    )
    h.put_trace({"id": T2, "name": "chat", "timestamp": "2026-02-01T11:00:00.000Z"})
    h.put_observation(
        "generation",
        {
            "id": OBS,
            "traceId": T1,
            "name": "llm",
            "startTime": "2026-02-01T10:00:00.100Z",
            "endTime": "2026-02-01T10:00:00.900Z",
            "model": "gpt-4o",
            "usageDetails": {"input": 3, "output": 1},
        },
        "2026-02-01T10:00:00.100Z",
    )
    h.put_score(
        {
            "id": "s-obs",
            "traceId": T1,
            "observationId": OBS,
            "name": "relevance",
            "value": 0.9,
            "comment": "on topic",
            "dataType": "NUMERIC",
            "timestamp": "2026-02-01T10:01:00.000Z",
        }
    )
    h.put_score(
        {
            "id": "s-bool",
            "traceId": T1,
            "name": "helpful",
            "value": 1,
            "dataType": "BOOLEAN",
            "timestamp": "2026-02-01T10:02:00.000Z",
        }
    )
    for i in range(scores - 2):  # more than one page of 100
        h.put_score(
            {
                "id": f"s-{i:03d}",
                "traceId": T2,
                "name": f"metric-{i:03d}",
                "value": i,
                "dataType": "NUMERIC",
                "timestamp": f"2026-02-01T11:{i // 60:02d}:{i % 60:02d}.000Z",
            }
        )


def test_langfuse_history_into_opik(fakes, tmp_path, capsys):
    lf, opik = fakes("langfuse", "opik")
    seed_langfuse(lf.vendor.history)
    cfg = write_config(tmp_path, {"langfuse": lf, "opik": opik})
    code, out = backfill(capsys, cfg, "--from", "langfuse", "--to", "opik")
    assert code == 0, out
    score_pages = [r.query.get("cursor") for r in lf.vendor.received if r.path == "/api/public/v3/scores"]
    assert len(score_pages) == 2 and score_pages[0] is None and score_pages[1]  # two cursor pages
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    t1, obs = store.id_for("langfuse", T1, "opik"), store.id_for("langfuse", OBS, "opik")
    store.close()
    traces = {
        t["name"] + t["start_time"]: t for b in opik.vendor.bodies("POST", r"/traces/batch$") for t in b["traces"]
    }
    first = traces["chat2026-02-01T10:00:00.000Z"]
    assert (first["id"], first["input"], first["output"], first["thread_id"], first["tags"]) == (
        t1,
        {"q": "2+2"},
        {"a": "4"},
        "sess-1",
        ["prod"],
    )
    [span] = [s for b in opik.vendor.bodies("POST", r"/spans/batch$") for s in b["spans"]]
    assert (span["id"], span["trace_id"], span["type"], span["model"], span["usage"]) == (
        obs,
        t1,
        "llm",
        "gpt-4o",
        {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    )
    span_scores = [s for b in opik.vendor.bodies("PUT", r"/spans/feedback-scores$") for s in b["scores"]]
    trace_scores = [s for b in opik.vendor.bodies("PUT", r"/traces/feedback-scores$") for s in b["scores"]]
    assert [(s["id"], s["name"], s["value"], s["reason"]) for s in span_scores] == [(obs, "relevance", 0.9, "on topic")]
    helpful = next(s for s in trace_scores if s["name"] == "helpful")
    assert (helpful["id"], helpful["value"], helpful["category_name"]) == (t1, 1, "True")
    assert len(trace_scores) == 149
    assert "records      2 traces, 1 observations, 150 scores" in out, out


def test_opik_history_into_langfuse(fakes, tmp_path, capsys):
    opik, lf = fakes("opik", "langfuse")
    [tid] = seed_opik(opik.vendor.history, 1)
    cfg = write_config(tmp_path, {"opik": opik, "langfuse": lf})
    code, out = backfill(capsys, cfg, "--from", "opik", "--to", "langfuse", "--project", "support-bot")
    assert code == 0, out
    h = lf.vendor.history
    assert h.traces[tid]["name"] == "chat-0" and h.traces[tid]["input"] == {"q": "question 0"}
    by_name = {s["name"]: s for s in h.scores.values()}
    assert set(by_name) == {"accuracy", "helpfulness", "comment"}
    assert (by_name["accuracy"]["value"], by_name["accuracy"]["comment"], by_name["accuracy"]["subject"]) == (
        0.0,
        "checked 0",
        {"kind": "trace", "id": tid},
    )
    assert (by_name["helpfulness"]["value"], by_name["helpfulness"]["dataType"]) == ("helpful", "CATEGORICAL")
    assert (by_name["comment"]["value"], by_name["comment"]["dataType"]) == ("look at turn 0", "TEXT")
