"""The tracia SDK's spans and evaluations through {from: tracia, primary: tracia, mirrors:
[opik, scale]}: Opik gets a trace and a span (UUIDv7 ids, their time the span's start) and the
score on that same span id; Scale gets the span and the assessment under Tracia's own ids."""

from __future__ import annotations

import contextlib
import hashlib

import pytest

from proxy import ids
from proxy.codecs.core import epoch_ms
from tests.conftest import parked, settled, wait_for

from .conftest import OPIK_SPAN_SCORES, OPIK_SPANS, OPIK_TRACES, SCALE_ASSESSMENTS, TRACIA_SPANS, delivery

SECRET = "feedback-proxy"
ROUTE = {"from": "tracia", "primary": "tracia", "mirrors": ["opik", "scale"]}
ROOT, CHILD, TRACE = "sp_00000000000000aa", "sp_00000000000000cc", "tr_00000000000000bb"


def payload(span_id: str, parent: str | None = None, **over):
    from tracia import CreateSpanPayload

    fields = dict(
        span_id=span_id,
        model="gpt-4o",
        provider="openai",
        input={"messages": [{"role": "user", "content": "2+2?"}]},
        output="4",
        status="SUCCESS",
        latency_ms=12,
        input_tokens=3,
        output_tokens=1,
        total_tokens=4,
        trace_id=TRACE,
        parent_span_id=parent,
        session_id="sess_1",
        tags=["t1"],
    )
    return CreateSpanPayload(**{**fields, **over})


def own_trace(span_id: str) -> str:
    """The trace of a Tracia span sent with none (README, Traces and spans)."""
    return "tr_" + hashlib.sha256(f"tracia trace of {span_id}".encode()).hexdigest()[:16]


def opik_id(value: str, start: str) -> str:
    return ids.derived_uuid7(SECRET, f"tracia:{value}", int(epoch_ms(start)))


def after_its_span(received, span_path: str, key: str, span_id: str, feedback_path: str) -> bool:
    """The feedback reached the vendor after the first write of the span it is about."""
    first = min(
        i for i, r in enumerate(received) if r.path == span_path and any(s["id"] == span_id for s in r.body[key])
    )
    return [i for i, r in enumerate(received) if r.path.endswith(feedback_path)] > [first]


def opik_spans(upstreams) -> list[dict]:
    return [s for b in upstreams["opik"].bodies("POST", OPIK_SPANS) for s in b["spans"]]


def test_span_and_evaluation_reach_opik_with_agreeing_v7_ids_and_scale_under_tracia_ids(
    live_proxy, upstreams, tracia_sdk, scale_spans
):
    from tracia import EvaluateOptions

    url = live_proxy([ROUTE])
    client = tracia_sdk(url)
    created = client.spans.create(payload(ROOT))
    assert (created.span_id, created.trace_id) == (ROOT, TRACE)  # Tracia's own answer, forwarded
    client.spans.create(payload(CHILD, parent=ROOT, latency_ms=5))
    result = client.spans.evaluate(ROOT, EvaluateOptions(evaluator="quality", value=1, note="good"))
    assert result.evaluator_key == "quality"
    assert [r.path for r in upstreams["tracia"].received] == [
        "/api/v1/spans",
        "/api/v1/spans",
        f"/api/v1/spans/{ROOT}/evaluations",
    ]

    # Opik: a trace (the root span's trace), both spans, and the score on the root span
    [score_put] = wait_for(lambda: upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES), what="the Opik score")
    wait_for(lambda: len(opik_spans(upstreams)) == 2, what="both spans at Opik")
    [traces] = upstreams["opik"].bodies("POST", OPIK_TRACES)
    [trace] = traces["traces"]
    root, child = sorted(opik_spans(upstreams), key=lambda s: "parent_span_id" in s)
    start = root["start_time"]
    assert trace["id"] == opik_id(TRACE, start) and ids.uuid7_ms(trace["id"]) == int(epoch_ms(start))
    assert root["id"] == opik_id(ROOT, start) and ids.uuid7_ms(root["id"]) == int(epoch_ms(start))
    assert (root["trace_id"], child["trace_id"], child["parent_span_id"]) == (trace["id"], trace["id"], root["id"])
    assert child["id"] == opik_id(CHILD, child["start_time"])
    assert epoch_ms(root["end_time"]) - epoch_ms(root["start_time"]) == 12
    assert {k: root[k] for k in ("type", "model", "provider", "usage", "input", "output", "thread_id", "tags")} == {
        "type": "llm",
        "model": "gpt-4o",
        "provider": "openai",
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        "input": {"messages": [{"role": "user", "content": "2+2?"}]},
        "output": "4",
        "thread_id": "sess_1",
        "tags": ["t1"],
    }
    assert score_put == {
        "scores": [{"id": root["id"], "name": "quality", "value": 1, "source": "sdk", "reason": "good"}]
    }
    assert after_its_span(
        upstreams["opik"].received, "/api/v1/private/spans/batch", "spans", root["id"], "/feedback-scores"
    )
    assert all(ids.is_uuid7(i) for i in (trace["id"], root["id"], child["id"]))

    # Scale: the spans and the assessment under Tracia's own ids
    [assessment] = wait_for(lambda: upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS), what="the Scale assessment")
    wait_for(lambda: ROOT in scale_spans and CHILD in scale_spans, what="both spans at Scale")
    assert assessment == {
        "trace_id": TRACE,
        "span_id": ROOT,
        "assessment_type": "approval",
        "approval": "approved",
        "comment": "good",
    }
    assert after_its_span(upstreams["scale"].received, "/v5/spans/batch", "items", ROOT, "/v5/span-assessments")
    assert (scale_spans[ROOT]["trace_id"], scale_spans[ROOT].get("parent_id"), scale_spans[ROOT]["type"]) == (
        TRACE,
        None,
        "COMPLETION",
    )
    assert (scale_spans[CHILD]["trace_id"], scale_spans[CHILD]["parent_id"]) == (TRACE, ROOT)
    assert scale_spans[ROOT]["output"] == {"output": "4"} and scale_spans[ROOT]["metadata"]["latency_ms"] == 12
    settled(url)
    assert len(upstreams["tracia"].received) == 3  # the primary only: nothing mirrored back to Tracia


def test_an_evaluation_before_its_span_waits_for_the_trace_scale_needs(
    live_proxy, upstreams, tracia_sdk, scale_spans, caplog
):
    caplog.set_level("INFO", logger="proxy.delivery")
    from tracia import EvaluateOptions

    url = live_proxy([ROUTE])
    client = tracia_sdk(url)
    client.spans.evaluate(ROOT, EvaluateOptions(evaluator="quality", value=0))
    [opik_score] = wait_for(
        lambda: upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES), what="the Opik score"
    )  # Opik needs no trace
    parked(caplog, url, scale=1)
    assert upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS) == []
    client.spans.create(payload(ROOT))
    [assessment] = wait_for(lambda: upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS), what="the Scale assessment")
    assert assessment == {"trace_id": TRACE, "span_id": ROOT, "assessment_type": "approval", "approval": "rejected"}
    [span] = wait_for(lambda: opik_spans(upstreams), what="the span at Opik")
    assert opik_score["scores"][0]["id"] == span["id"]  # the registry keeps the first id it made


@pytest.mark.parametrize("primary", ["opik", "scale"])
def test_a_translated_primary_answers_a_create_span_result(live_proxy, upstreams, tracia_sdk, scale_spans, primary):
    client = tracia_sdk(live_proxy([{"from": "tracia", "primary": primary}]))
    created = client.spans.create(payload(ROOT, trace_id=None))
    again = client.spans.create(payload(ROOT, trace_id=None))  # the same span again: the same answer (the span's id)
    assert (created.span_id, created.trace_id) == (ROOT, own_trace(ROOT))  # no trace: one of its own
    assert created.id.startswith("span_") and again.id == created.id
    if primary == "opik":
        [trace] = upstreams["opik"].bodies("POST", OPIK_TRACES)[0]["traces"]
        span, same = opik_spans(upstreams)  # written twice: Opik upserts by id
        assert same["id"] == span["id"] and span["trace_id"] == trace["id"] != span["id"]
    else:
        assert ROOT in scale_spans and scale_spans[ROOT]["trace_id"] == own_trace(ROOT)
    assert upstreams["tracia"].received == [] and upstreams["tracia"].bodies("POST", TRACIA_SPANS) == []


def test_a_span_sent_with_no_trace_gets_a_trace_of_its_own_and_its_feedback_stays_on_the_span(
    live_proxy, upstreams, tracia_sdk, scale_spans
):
    """The quick start's route: a Tracia span with no traceId (and a child naming it as parent,
    no traceId either). Opik gets a trace and a span with two different v7 ids, the span inside
    the trace, and the evaluation on the span; Scale gets the trace id the Tracia client is told."""
    from tracia import EvaluateOptions

    route = {"from": "tracia", "primary": "opik", "mirrors": ["scale"]}
    client = tracia_sdk(live_proxy([route]))
    created = client.spans.create(payload(ROOT, trace_id=None))
    child = client.spans.create(payload(CHILD, parent=ROOT, trace_id=None, latency_ms=5))
    client.spans.evaluate(ROOT, EvaluateOptions(evaluator="quality", value=1, note="good"))
    trace_of_root = own_trace(ROOT)
    assert (created.trace_id, child.trace_id) == (trace_of_root, trace_of_root)

    # Opik (the primary, inline): the trace, both spans in it, and the score on the span, never the trace
    [trace] = [t for b in upstreams["opik"].bodies("POST", OPIK_TRACES) for t in b["traces"]]
    root, kid = sorted(opik_spans(upstreams), key=lambda s: "parent_span_id" in s)
    assert trace["id"] == opik_id(trace_of_root, root["start_time"]) and root["id"] == opik_id(ROOT, root["start_time"])
    assert (
        trace["id"] != root["id"]
        and ids.is_uuid7(trace["id"])
        and ids.uuid7_ms(trace["id"]) == ids.uuid7_ms(root["id"])
    )
    assert (root["trace_id"], kid["trace_id"], kid["parent_span_id"], root.get("parent_span_id")) == (
        trace["id"],
        trace["id"],
        root["id"],
        None,
    )
    assert upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES) == [
        {"scores": [{"id": root["id"], "name": "quality", "value": 1, "source": "sdk", "reason": "good"}]}
    ]
    assert upstreams["opik"].bodies("PUT", r"/traces/feedback-scores$") == []

    # Scale (the mirror): the spans under the trace id the client was told, the assessment on the span
    [assessment] = wait_for(lambda: upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS), what="the Scale assessment")
    wait_for(lambda: ROOT in scale_spans and CHILD in scale_spans, what="both spans at Scale")
    assert assessment == {
        "trace_id": trace_of_root,
        "span_id": ROOT,
        "assessment_type": "approval",
        "approval": "approved",
        "comment": "good",
    }
    assert (scale_spans[ROOT]["trace_id"], scale_spans[ROOT].get("parent_id")) == (trace_of_root, None)
    assert (scale_spans[CHILD]["trace_id"], scale_spans[CHILD]["parent_id"]) == (trace_of_root, ROOT)

    # Another instance, with a store of its own and the same id_secret, derives the same trace:
    # the same Tracia trace id, and at Opik the same hashed part (the time part is the span's start as it saw it)
    again = tracia_sdk(live_proxy([route])).spans.create(payload(ROOT, trace_id=None))
    assert again.trace_id == trace_of_root
    [_, second] = [t for b in upstreams["opik"].bodies("POST", OPIK_TRACES) for t in b["traces"]]
    assert second["id"][14:] == trace["id"][14:] and second["id"] != opik_spans(upstreams)[-1]["id"]


def test_an_opik_score_about_a_tracia_span_reaches_scale_under_tracia_s_span_id(
    live_proxy, upstreams, tracia_sdk, opik_sdk, scale_spans
):
    """The span came from Tracia and went to Opik (a derived UUID) and to Scale (Tracia's ids).
    An Opik client then scores the Opik span: Scale gets the assessment about the span it has,
    under Tracia's span and trace ids, not about the Opik UUID (a span Scale never saw)."""
    url = live_proxy([ROUTE, {"from": "opik", "primary": "opik", "mirrors": ["scale"]}])
    tracia_sdk(url).spans.create(payload(ROOT))
    wait_for(lambda: len(opik_spans(upstreams)) == 1 and ROOT in scale_spans, what="the span at Opik and at Scale")
    [root] = opik_spans(upstreams)
    client = opik_sdk(url, project="proj")
    client.log_spans_feedback_scores([{"id": root["id"], "name": "accuracy", "value": 0.9, "reason": "close"}])
    client.flush()
    [assessment] = wait_for(lambda: upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS), what="the Scale assessment")
    assert (assessment["span_id"], assessment["trace_id"]) == (ROOT, TRACE)
    assert assessment["metadata"]["name"] == "accuracy" and assessment["comment"] == "close"


def test_an_evaluation_waiting_for_its_span_is_sent_as_soon_as_the_span_is_not_on_its_retry_timer(
    live_proxy, upstreams, tracia_sdk, scale_spans, caplog
):
    """The retry timer of a parked record is the default's (5 s, x1.5): the evaluation must not wait
    for it. It reaches the Scale mirror within 1 s of its span (it used to come 2.5-7.5 s later)."""
    caplog.set_level("INFO", logger="proxy.delivery")
    from tracia import EvaluateOptions

    # the default retry timer, and a poll slower than the 1 s asserted: only the span's arrival can wake the worker
    patient = delivery(
        poll_interval=2.0, retry={"initial_interval": 5.0, "multiplier": 1.5, "max_interval": 30, "max_elapsed": 300}
    )
    url = live_proxy([{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}], delivery=patient)
    client = tracia_sdk(url)
    client.spans.evaluate(ROOT, EvaluateOptions(evaluator="quality", value=1))
    parked(caplog, url, scale=1)
    client.spans.create(payload(ROOT))
    [assessment] = wait_for(lambda: upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS), what="the Scale assessment")
    assert assessment == {"trace_id": TRACE, "span_id": ROOT, "assessment_type": "approval", "approval": "approved"}
    span_at = min(r.at for r in upstreams["scale"].received if r.path == "/v5/spans/batch")
    [assessment_at] = [r.at for r in upstreams["scale"].received if r.path == "/v5/span-assessments"]
    assert 0 < assessment_at - span_at < 1.0


def test_an_evaluation_whose_span_does_not_come_is_parked_again_by_its_safety_net_without_a_plan(
    live_proxy, upstreams, tracia_sdk, scale_spans, caplog, tmp_path
):
    """Each look of its safety net found the span still unknown and, before, planned the row whole (its
    print, an encode, a refusal and its log line): with spans that never come, the proxy's CPU a request
    went from ~560 to ~1,370 µs within 90 s. Now it is parked again as it is; its span still releases it."""
    import sqlite3

    caplog.set_level("INFO", logger="proxy.delivery")
    from tracia import EvaluateOptions

    db = tmp_path / "proxy.db"
    looks_fast = delivery(retry={"initial_interval": 0.05, "multiplier": 1, "max_interval": 0.05, "max_elapsed": 300})
    url = live_proxy(
        [{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}], delivery=looks_fast, store=f"sqlite:///{db}"
    )
    client = tracia_sdk(url)
    client.spans.evaluate(ROOT, EvaluateOptions(evaluator="quality", value=1))
    parked(caplog, url, scale=1)

    def the_row() -> tuple:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            return conn.execute("SELECT attempts, waits_for, last_error FROM outbox WHERE upstream='scale'").fetchone()

    # its safety net: 0.1, 0.2, 0.4 s (doubling from max_interval, within the jitter)
    attempts, waits_for, why = wait_for(lambda: the_row()[0] >= 3 and the_row(), what="three looks", timeout=15)
    assert waits_for == f"tracia:span:{ROOT}" and why.startswith("waiting: ")
    logged = [r.getMessage() for r in caplog.records if "for scale waits for what it lacks" in r.getMessage()]
    assert len(logged) == 1  # when it was taken; no look planned it again
    assert not upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS)
    client.spans.create(payload(ROOT))
    [assessment] = wait_for(lambda: upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS), what="the Scale assessment")
    assert assessment == {"trace_id": TRACE, "span_id": ROOT, "assessment_type": "approval", "approval": "approved"}
