"""Scale and Tracia as sources: Scale's spans (keyset pages) with each trace's assessments
into Opik; Tracia's spans (cursor pages, each read whole) into Scale, and the summary says
plainly that Tracia has no API that lists evaluations."""

from __future__ import annotations

import httpx

from proxy import config as config_mod
from proxy.app import create_app
from proxy.store.sqlite import SQLiteStore
from proxy.testing import FakeServer
from tests.conftest import settled, wait_for

from .conftest import backfill, write_config

MADE = {
    "created_by": "user-1",
    "object": "span.assessment",
    "account_id": "acct",
    "created_at": "2026-02-03T00:00:00Z",
    "updated_at": "2026-02-03T00:00:00Z",
}
ASSESSMENTS = {
    "a1": {"assessment_type": "rating", "trace_id": "trace-a", "span_id": "llm-a", "rating": 4, "comment": "good"},
    "a2": {
        "assessment_type": "approval",
        "trace_id": "trace-a",
        "approval": "approved",
    },  # no span: Scale reads it back at the root
    "a3": {"assessment_type": "comment", "trace_id": "trace-b", "comment": "needs work"},
    "a4": {"assessment_type": "overwrite", "trace_id": "trace-a", "span_id": "llm-a", "overwrite": {"output": "no"}},
    "a5": {
        "assessment_type": "rubric",
        "trace_id": "trace-a",
        "span_id": "llm-a",
        "rubric": {"accuracy": "pass", "tone": "fail"},
    },
    "a6": {
        "assessment_type": "metadata",
        "trace_id": "trace-b",
        "metadata": {"name": "helpfulness", "value": 0.7, "source": "sdk"},
    },
}


def seed_scale(fake) -> None:
    h = fake.history
    h.put_span(
        {
            "id": "root-a",
            "trace_id": "trace-a",
            "name": "agent",
            "type": "TRACER",
            "start_timestamp": "2026-02-01T10:00:00+00:00",
            "end_timestamp": "2026-02-01T10:00:05+00:00",
            "input": {"q": "refund?"},
            "output": {"a": "yes"},
            "metadata": {"project": "shop"},
            "status": "SUCCESS",
        }
    )
    h.put_span(
        {
            "id": "llm-a",
            "trace_id": "trace-a",
            "parent_id": "root-a",
            "name": "llm-call",
            "type": "COMPLETION",
            "start_timestamp": "2026-02-01T10:00:01+00:00",
            "end_timestamp": "2026-02-01T10:00:03+00:00",
            "input": {"prompt": "refund?"},
            "output": {"completion": "yes"},
            "metadata": {"model": "gpt-4o"},
            "status": "SUCCESS",
            "group_id": "g1",
        }
    )
    h.put_span(
        {
            "id": "root-b",
            "trace_id": "trace-b",
            "name": "agent",
            "type": "TRACER",
            "start_timestamp": "2026-02-02T10:00:00+00:00",
            "end_timestamp": "2026-02-02T10:00:02+00:00",
            "input": {"q": "hi"},
            "output": {"a": "hello"},
            "status": "SUCCESS",
        }
    )
    for aid, body in ASSESSMENTS.items():
        fake.assessments[aid] = {**body, "assessment_id": aid, **MADE}


def opik_ids(tmp_path) -> dict[str, str]:
    """The Opik ids the back-fill made for Scale's ids (the registry, as live traffic's)."""
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    try:
        return {
            "trace-a": store.id_for("scale", "trace-a", "opik"),
            "trace-b": store.id_for("scale", "trace-b", "opik"),
            "llm-a": store.id_for("scale", "llm-a", "opik"),
            "root-a": store.id_for("scale", "root-a", "opik"),
        }
    finally:
        store.close()


def test_scale_spans_and_assessments_into_opik(fakes, tmp_path, capsys):
    scale, opik = fakes("scale", "opik")
    seed_scale(scale.vendor)
    cfg = write_config(tmp_path, {"scale": scale, "opik": opik})
    code, out = backfill(capsys, cfg, "--from", "scale", "--to", "opik")
    assert code == 0, out
    asked = [(r.method, r.path, r.query.get("trace_id")) for r in scale.vendor.received]
    assert asked == [
        ("POST", "/v5/spans/search", None),
        ("GET", "/v5/span-assessments", "trace-a"),
        ("GET", "/v5/span-assessments", "trace-b"),
    ]
    o = opik_ids(tmp_path)
    [traces] = opik.vendor.bodies("POST", r"/traces/batch$")
    assert [(t["id"], t["name"], t["start_time"], t.get("project_name"), t["input"]) for t in traces["traces"]] == [
        (o["trace-a"], "agent", "2026-02-01T10:00:00+00:00", "shop", {"q": "refund?"}),
        (o["trace-b"], "agent", "2026-02-02T10:00:00+00:00", None, {"q": "hi"}),
    ]
    [spans] = opik.vendor.bodies("POST", r"/spans/batch$")
    llm = next(s for s in spans["spans"] if s["name"] == "llm-call")
    assert (llm["id"], llm["trace_id"], llm["parent_span_id"], llm["type"], llm["model"]) == (
        o["llm-a"],
        o["trace-a"],
        o["root-a"],
        "llm",
        "gpt-4o",
    )
    trace_scores = [s for b in opik.vendor.bodies("PUT", r"/traces/feedback-scores$") for s in b["scores"]]
    span_scores = [s for b in opik.vendor.bodies("PUT", r"/spans/feedback-scores$") for s in b["scores"]]
    assert sorted(trace_scores, key=lambda s: s["name"]) == [
        {"id": o["trace-a"], "name": "approval", "value": 1, "category_name": "approved", "source": "sdk"},
        {"id": o["trace-b"], "name": "helpfulness", "value": 0.7, "source": "sdk"},
    ]
    assert sorted(span_scores, key=lambda s: s["name"]) == [
        {"id": o["llm-a"], "name": "accuracy", "value": 1, "category_name": "pass", "source": "sdk"},
        {"id": o["llm-a"], "name": "rating", "value": 4, "reason": "good", "source": "sdk"},
        {"id": o["llm-a"], "name": "tone", "value": 0, "category_name": "fail", "source": "sdk"},
    ]
    assert opik.vendor.bodies("POST", rf"/traces/{o['trace-b']}/comments$") == [{"text": "needs work"}]
    assert (
        "records      3 spans, 6 assessments" in out
        and "queued       8 for opik" in out
        and "written      8 to opik" in out
    )
    assert (
        "not carried  1\n             1  assessments: opik spans_scores needs a record with value present" in out
    )  # the overwrite
    assert "dropped  assessments (of each trace): created_by  at read: Scale records who wrote it" in out
    assert "dropped  spans: group_id" in out and "lost     spans: status" in out


def test_a_scale_assessment_mirrored_live_is_not_sent_again_by_the_back_fill(fakes, tmp_path, capsys):
    scale, opik = fakes("scale", "opik")
    seed_scale(scale.vendor)
    scale.vendor.assessments.clear()
    cfg = write_config(
        tmp_path, {"scale": scale, "opik": opik}, routes=[{"from": "scale", "primary": "scale", "mirrors": ["opik"]}]
    )
    with FakeServer(create_app(config_mod.load(str(cfg)))) as proxy:
        r = httpx.post(
            proxy.url + "/v5/span-assessments",
            json=ASSESSMENTS["a1"],
            headers={"x-api-key": "client-key", "x-selected-account-id": "acct"},
        )
        assert r.status_code == 200 and r.json()["assessment_id"] in scale.vendor.assessments
        wait_for(lambda: opik.vendor.bodies("PUT", r"/spans/feedback-scores$"), what="the live mirror at Opik")
        settled(proxy.url)  # the mirror's delivery recorded, not only received
    code, out = backfill(capsys, cfg, "--from", "scale", "--to", "opik")
    assert code == 0 and "present      1 already at opik" in out, out
    assert len(opik.vendor.bodies("PUT", r"/spans/feedback-scores$")) == 1


def seed_tracia(fake) -> None:
    h = fake.history
    h.put_span(
        {
            "spanId": "sp_00000000000000a1",
            "traceId": "tr_00000000000000b1",
            "model": "gpt-4o",
            "provider": "openai",
            "input": {"messages": [{"role": "user", "content": "2+2?"}]},
            "output": "4",
            "status": "SUCCESS",
            "latencyMs": 1200,
            "inputTokens": 3,
            "outputTokens": 1,
            "totalTokens": 4,
            "tags": ["t1"],
            "userId": "u1",
            "sessionId": "s1",
        },
        created_at="2026-03-01T12:00:00.000Z",
    )
    h.put_span(
        {
            "spanId": "sp_00000000000000a2",
            "traceId": "tr_00000000000000b1",
            "parentSpanId": "sp_00000000000000a1",
            "model": "claude-3",
            "provider": "anthropic",
            "input": {"messages": [{"role": "user", "content": "and 3+3?"}]},
            "output": "6",
            "status": "ERROR",
            "error": "timeout",
            "latencyMs": 300,
            "inputTokens": 5,
            "outputTokens": 0,
            "totalTokens": 5,
            "promptSlug": "math",
        },
        created_at="2026-03-01T12:00:02.000Z",
    )
    h.evaluations.append(
        ("sp_00000000000000a1", {"evaluatorKey": "quality", "value": 1})
    )  # kept by Tracia, listed by no API


def test_tracia_spans_into_scale_and_no_evaluations_said_plainly(fakes, tmp_path, capsys):
    tracia, scale = fakes("tracia", "scale")
    seed_tracia(tracia.vendor)
    for i in range(150):  # two list pages (Tracia lists at most 100)
        tracia.vendor.history.put_span(
            {
                "spanId": f"sp_{i:016x}",
                "model": "gpt-4o",
                "provider": "openai",
                "input": {"messages": []},
                "status": "SUCCESS",
                "latencyMs": 10,
                "inputTokens": 0,
                "outputTokens": 0,
                "totalTokens": 0,
            },
            created_at="2026-02-01T00:00:00.000Z",
        )
    cfg = write_config(tmp_path, {"tracia": tracia, "scale": scale})
    code, out = backfill(capsys, cfg, "--from", "tracia", "--to", "scale")
    assert code == 0, out
    lists = [r.query for r in tracia.vendor.received if r.path == "/api/v1/spans"]
    assert len(lists) == 2 and "cursor" not in lists[0] and lists[1]["cursor"]
    items = {i["id"]: i for b in scale.vendor.bodies("PUT", r"^/v5/spans/batch$") for i in b["items"]}
    assert len(items) == 152 and scale.vendor.bodies("POST", r"^/v5/span-assessments$") == []
    assert items["sp_00000000000000a2"] == {
        "id": "sp_00000000000000a2",
        "trace_id": "tr_00000000000000b1",
        "parent_id": "sp_00000000000000a1",
        "name": "claude-3",
        "type": "COMPLETION",
        "start_timestamp": "2026-03-01T12:00:01.700Z",
        "end_timestamp": "2026-03-01T12:00:02.000Z",
        "input": {"messages": [{"role": "user", "content": "and 3+3?"}]},
        "output": {"output": "6"},
        "status": "ERROR",
        "metadata": {
            "model": "claude-3",
            "provider": "anthropic",
            "usage": {"input_tokens": 5, "output_tokens": 0, "total_tokens": 5},
            "tags": [],
            "error": "timeout",
            "latency_ms": 300,
        },
    }
    assert (
        items["sp_00000000000000a1"]["metadata"]["userId"] == "u1" and "parent_id" not in items["sp_00000000000000a1"]
    )
    assert "read         152 spans in 2 page(s)" in out and "written      152 to scale" in out
    assert "    - Tracia has no API that lists evaluations: spans only" in out
    assert "dropped  spans: promptSlug  at read: Tracia prompts exist only in Tracia" in out


def test_opik_spans_with_their_scores_reach_scale_under_their_trace(fakes, tmp_path, capsys):
    from proxy import ids

    from .conftest import PROJECT, scale_assessments, scale_spans_sent, seed_opik

    opik, scale = fakes("opik", "scale")
    [tid] = seed_opik(opik.vendor.history, 1, comment_every=0)
    sids = [ids.uuid7(1767603600000 + i) for i in (1, 2)]
    for i, sid in enumerate(sids):
        opik.vendor.history.put_span(
            {
                "id": sid,
                "trace_id": tid,
                "parent_span_id": sids[0] if i else None,
                "project_name": PROJECT,
                "name": f"step-{i}",
                "type": "llm" if i else "tool",
                "start_time": "2026-01-05T09:00:00.500000Z",
                "end_time": "2026-01-05T09:00:01.000000Z",
                "model": "gpt-4o" if i else None,
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4} if i else None,
            }
        )
    opik.vendor.history.put_score("span", sids[1], {"name": "faithfulness", "value": 0.25, "source": "online_scoring"})
    opik.vendor.history.add_comment("span", sids[1], "made up a number")
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, "--from", "opik", "--to", "scale", "--project", PROJECT)
    assert code == 0 and "read         1 traces, 2 spans in 2 page(s)" in out, out
    spans = {s["id"]: s for s in scale_spans_sent(scale.vendor)}
    assert {k: (s["trace_id"], s.get("parent_id"), s["type"]) for k, s in spans.items()} == {
        tid: (tid, None, "TRACER"),
        sids[0]: (tid, tid, "STANDALONE"),
        sids[1]: (tid, sids[0], "COMPLETION"),
    }
    assert spans[sids[1]]["metadata"] == {
        "model": "gpt-4o",
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
        "project": PROJECT,
    }
    mine = [a for a in scale_assessments(scale.vendor) if a.get("span_id") == sids[1]]
    assert sorted(mine, key=lambda a: a["assessment_type"]) == [
        {"trace_id": tid, "span_id": sids[1], "assessment_type": "comment", "comment": "made up a number"},
        {
            "trace_id": tid,
            "span_id": sids[1],
            "assessment_type": "metadata",
            "metadata": {"name": "faithfulness", "value": 0.25, "source": "online_scoring", "project": PROJECT},
        },
    ]
