"""The opik SDK's traces, spans and span scores through {from: opik, primary: opik,
mirrors: [scale, tracia]}: Scale gets the trace as its root span, the span under it and the
assessment on the same ids; Tracia gets the span once it has ended, and the evaluation on
the same `sp_` id; in whatever order the SDK sent them."""

from __future__ import annotations

import re

import httpx
import pytest

from proxy import ids
from proxy.codecs.core import epoch_ms
from tests.conftest import parked, settled, wait_for

from .conftest import (
    OPIK_SPAN_SCORES,
    OPIK_SPANS,
    OPIK_TRACES,
    SCALE_ASSESSMENTS,
    SCALE_SPANS,
    TRACIA_EVALS,
    TRACIA_SPANS,
    delivery,
)

ROUTE = {"from": "opik", "primary": "opik", "mirrors": ["scale", "tracia"]}
SECRET = "feedback-proxy"  # the config's default id_secret


def tracia_ids(trace: str, span: str) -> tuple[str, str]:
    """The ids Tracia knows an Opik trace and span by."""
    return "tr_" + ids.derived_hex(SECRET, f"opik:{trace}"), "sp_" + ids.derived_hex(SECRET, f"opik:{span}")


def log_trace_with_llm_span(client):
    trace = client.trace(name="chat", input={"q": "2+2?"}, tags=["t1"])
    span = trace.span(
        name="llm-call",
        type="llm",
        input={"prompt": "2+2?"},
        model="gpt-4o",
        provider="openai",
        usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    )
    span.end(output={"completion": "4"})
    trace.end(output={"a": "4"})
    return trace, span


def score(client, span_id: str) -> None:
    client.log_spans_feedback_scores([{"id": span_id, "name": "accuracy", "value": 0.9, "reason": "close"}])


def at_scale(upstreams, scale_spans, trace_id: str, span_id: str) -> dict:
    """Waits for, and returns, the Scale assessment once both spans have ended there."""

    def done():
        ended = all(scale_spans.get(i, {}).get("end_timestamp") for i in (trace_id, span_id))
        return ended and upstreams["scale"].bodies("POST", SCALE_ASSESSMENTS)

    [assessment] = wait_for(done, what="the spans and the assessment at Scale")
    return assessment


def assert_scale_has(upstreams, scale_spans, trace_id: str, span_id: str, assessment: dict) -> None:
    root, span = scale_spans[trace_id], scale_spans[span_id]
    assert {k: root.get(k) for k in ("trace_id", "parent_id", "name", "type", "status", "input", "output")} == {
        "trace_id": trace_id,
        "parent_id": None,
        "name": "chat",
        "type": "TRACER",
        "status": "SUCCESS",
        "input": {"q": "2+2?"},
        "output": {"a": "4"},
    }
    assert root["metadata"] == {"project": "proj", "tags": ["t1"]}
    assert {k: span.get(k) for k in ("trace_id", "parent_id", "name", "type", "status", "input", "output")} == {
        "trace_id": trace_id,
        "parent_id": trace_id,
        "name": "llm-call",
        "type": "COMPLETION",
        "status": "SUCCESS",
        "input": {"prompt": "2+2?"},
        "output": {"completion": "4"},
    }
    assert span["metadata"] == {
        "model": "gpt-4o",
        "provider": "openai",
        "project": "proj",
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
    }
    # every span write names only these two spans of this trace, the root first in each batch it shares
    for put in upstreams["scale"].bodies("PUT", SCALE_SPANS):
        assert {i["id"] for i in put["items"]} <= {trace_id, span_id} and {i["trace_id"] for i in put["items"]} == {
            trace_id
        }
    assert assessment == {
        "trace_id": trace_id,
        "span_id": span_id,
        "assessment_type": "metadata",
        "comment": "close",
        "metadata": {"name": "accuracy", "value": 0.9, "source": "sdk", "project": "proj"},
    }


def assert_tracia_has(upstreams, opik_span_body: dict, opik_patch: dict, trace_id: str, span_id: str) -> None:
    tr, sp = tracia_ids(trace_id, span_id)
    [created] = upstreams["tracia"].bodies("POST", TRACIA_SPANS)  # once: Tracia cannot update a span
    latency = round(epoch_ms(opik_patch["end_time"]) - epoch_ms(opik_span_body["start_time"]))
    assert created == {
        "spanId": sp,
        "traceId": tr,
        "model": "gpt-4o",
        "provider": "openai",
        "input": {"messages": [{"role": "user", "content": '{"prompt": "2+2?"}'}]},
        "output": '{"completion": "4"}',
        "status": "SUCCESS",
        "inputTokens": 3,
        "outputTokens": 1,
        "totalTokens": 4,
        "spanKind": "LLM",
        "latencyMs": latency,
    }
    [evaluation] = [r for r in upstreams["tracia"].received if re.match(TRACIA_EVALS, r.path)]
    assert evaluation.path == f"/api/v1/spans/{sp}/evaluations"
    assert evaluation.body == {"evaluatorKey": "accuracy", "value": 1, "note": 'close\n[feedback-proxy] {"value": 0.9}'}


def assert_assessment_after_its_span(upstreams, span_id: str) -> None:
    """Scale refuses an assessment about a span it does not have: the span went first."""
    scale = upstreams["scale"].received
    first_span_write = min(
        i
        for i, r in enumerate(scale)
        if r.path == "/v5/spans/batch" and any(s["id"] == span_id for s in r.body["items"])
    )
    assert [i for i, r in enumerate(scale) if r.path == "/v5/span-assessments"] > [first_span_write]


def opik_bodies(upstreams, span_id: str) -> tuple[dict, dict]:
    [spans] = upstreams["opik"].bodies("POST", OPIK_SPANS)
    [patch] = upstreams["opik"].bodies("PATCH", rf"/spans/{span_id}$")
    return spans["spans"][0], patch


def test_trace_llm_span_and_score_reach_scale_and_tracia_on_the_same_ids(live_proxy, upstreams, opik_sdk, scale_spans):
    url = live_proxy([ROUTE])
    client = opik_sdk(url, project="proj")
    trace, span = log_trace_with_llm_span(client)
    score(client, span.id)
    assert client.flush() is True

    # the primary got what the SDK sent, as it was sent
    assert [t["id"] for t in upstreams["opik"].bodies("POST", OPIK_TRACES)[0]["traces"]] == [trace.id]
    assert [s["id"] for s in upstreams["opik"].bodies("POST", OPIK_SPANS)[0]["spans"]] == [span.id]
    assert upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES)[0]["scores"][0]["id"] == span.id

    assessment = at_scale(upstreams, scale_spans, trace.id, span.id)
    assert_scale_has(upstreams, scale_spans, trace.id, span.id, assessment)
    wait_for(
        lambda: upstreams["tracia"].bodies("POST", TRACIA_SPANS) and upstreams["tracia"].bodies("POST", TRACIA_EVALS),
        what="Tracia's span and evaluation",
    )
    settled(url)
    assert_tracia_has(upstreams, *opik_bodies(upstreams, span.id), trace.id, span.id)
    assert_assessment_after_its_span(upstreams, span.id)


def test_a_score_sent_before_its_span_waits_for_it_then_arrives(live_proxy, upstreams, opik_sdk, scale_spans, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([ROUTE], delivery=delivery(park_ttl=30))
    client = opik_sdk(url, project="proj")
    trace_id, span_id = ids.uuid7(), ids.uuid7()
    score(client, span_id)  # about a span the proxy has not seen: Scale needs its trace id
    assert client.flush() is True
    parked(caplog, url, scale=1)
    assert upstreams["scale"].received == []  # waiting, not refused

    trace = client.trace(id=trace_id, name="chat", input={"q": "2+2?"}, tags=["t1"])
    span = trace.span(
        id=span_id,
        name="llm-call",
        type="llm",
        input={"prompt": "2+2?"},
        model="gpt-4o",
        provider="openai",
        usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    )
    span.end(output={"completion": "4"})
    trace.end(output={"a": "4"})
    assert client.flush() is True

    assert (
        upstreams["opik"].received[0].path == "/api/v1/private/spans/feedback-scores"
    )  # the SDK did send the score first
    assessment = at_scale(upstreams, scale_spans, trace_id, span_id)
    assert_scale_has(upstreams, scale_spans, trace_id, span_id, assessment)
    assert_assessment_after_its_span(upstreams, span_id)
    wait_for(
        lambda: upstreams["tracia"].bodies("POST", TRACIA_SPANS) and upstreams["tracia"].bodies("POST", TRACIA_EVALS),
        what="Tracia's span and evaluation",
    )
    settled(url)
    assert_tracia_has(upstreams, *opik_bodies(upstreams, span_id), trace_id, span_id)
    # (Tracia got the evaluation at once: it needs no field the span brings, and the proxy had
    # not seen the span, so nothing told it to wait; a real Tracia may refuse it. See the report.)


def test_a_trace_score_reaches_a_tracia_mirror_on_the_root_span_once_tracia_has_it(
    live_proxy, upstreams, opik_sdk, caplog
):
    """Tracia has no trace object: the trace's score is an evaluation of its root span, sent once
    Tracia has that span (a span goes to Tracia when it has ended), never before it."""
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "opik", "primary": "opik", "mirrors": ["tracia"]}], delivery=delivery(park_ttl=30))
    client = opik_sdk(url, project="proj")
    trace = client.trace(name="chat", input={"q": "2+2?"})
    span = trace.span(name="llm-call", type="llm", input={"prompt": "2+2?"}, model="gpt-4o", provider="openai")
    trace.log_feedback_score("helpful", 1, reason="yes")
    assert client.flush() is True
    wait_for(lambda: upstreams["opik"].bodies("PUT", r"/traces/feedback-scores$"), what="the trace score at Opik")
    parked(caplog, url, tracia=1)  # the proxy has seen the root span (not ended: Tracia does not have it) and the score

    span.end(output={"completion": "4"})
    trace.end(output={"a": "4"})
    assert client.flush() is True
    tr, sp = tracia_ids(trace.id, span.id)
    wait_for(lambda: upstreams["tracia"].bodies("POST", TRACIA_EVALS), what="the trace score at Tracia")
    settled(url)
    assert [(r.method, r.path) for r in upstreams["tracia"].received] == [
        ("POST", "/api/v1/spans"),
        ("POST", f"/api/v1/spans/{sp}/evaluations"),
    ]
    [created] = upstreams["tracia"].bodies("POST", TRACIA_SPANS)
    assert (created["spanId"], created["traceId"]) == (sp, tr)
    assert upstreams["tracia"].bodies("POST", TRACIA_EVALS) == [{"evaluatorKey": "helpful", "value": 1, "note": "yes"}]


def test_a_score_whose_span_never_arrives_is_a_dead_letter_naming_what_it_lacked(
    live_proxy, upstreams, opik_sdk, tmp_path
):
    url = live_proxy(
        [{"from": "opik", "primary": "opik", "mirrors": ["scale"]}],
        store=f"sqlite:///{tmp_path}/proxy.db",
        delivery=delivery(park_ttl=1),
    )
    client = opik_sdk(url)
    span_id = ids.uuid7()
    score(client, span_id)
    assert client.flush() is True
    from proxy.store.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path / "proxy.db"))
    try:
        (dead,) = wait_for(lambda: store.dead_letters(), timeout=15, what="a dead letter")
    finally:
        store.close()
    assert dead.upstream == "scale" and dead.record.span_id.value == span_id
    assert re.fullmatch(
        r"waited \d+ s; cannot be written for scale: scale create: trace_id: missing \(from trace_id\)", dead.last_error
    ), dead.last_error
    assert dead.attempts >= 2  # it waited: retried until park_ttl, then buried
    assert upstreams["scale"].received == []
    assert (
        'feedback_proxy_deliveries_total{outcome="dead_letter",upstream="scale"} 1.0'
        in httpx.get(url + "/metrics").text
    )


def test_a_span_is_sent_to_tracia_when_it_ends_and_never_again(live_proxy, upstreams, opik_sdk, scale_spans):
    url = live_proxy([ROUTE])
    client = opik_sdk(url, project="proj")
    trace = client.trace(name="chat", input={"q": "2+2?"})
    span = trace.span(name="llm-call", type="llm", input={"prompt": "2+2?"}, model="gpt-4o", provider="openai")
    assert client.flush() is True
    wait_for(lambda: span.id in scale_spans, what="the started span at Scale")  # Scale takes every state (upsert)
    settled(url)
    assert upstreams["tracia"].received == []  # not ended: nothing Tracia could take once and for all

    span.end(output={"completion": "4"})
    assert client.flush() is True
    wait_for(lambda: upstreams["tracia"].bodies("POST", TRACIA_SPANS), what="the ended span at Tracia")
    client.update_span(id=span.id, trace_id=trace.id, parent_span_id=None, project_name="proj", metadata={"late": True})
    assert client.flush() is True
    wait_for(lambda: scale_spans[span.id].get("metadata", {}).get("late") is True, what="the late change at Scale")
    settled(url)
    assert len(upstreams["tracia"].bodies("POST", TRACIA_SPANS)) == 1 and scale_spans[span.id]["end_timestamp"]
    metrics = httpx.get(url + "/metrics").text
    skips = re.search(r'feedback_proxy_deliveries_total\{outcome="skipped",upstream="tracia"\} (\d+)', metrics)
    assert skips and int(float(skips.group(1))) >= 2  # the trace (no trace object), the unended state, the late change


@pytest.mark.parametrize("primary", ["tracia", "scale"])
def test_a_translated_primary_takes_the_spans_and_the_client_hears_success(
    live_proxy, upstreams, opik_sdk, scale_spans, primary
):
    url = live_proxy([{"from": "opik", "primary": primary, "untranslatable": "drop"}])
    client = opik_sdk(url, project="proj")
    trace, span = log_trace_with_llm_span(client)
    assert client.flush() is True
    if primary == "scale":
        wait_for(
            lambda: all(scale_spans.get(i, {}).get("end_timestamp") for i in (trace.id, span.id)),
            what="both spans ended at Scale",
        )
    else:
        [created] = wait_for(lambda: upstreams["tracia"].bodies("POST", TRACIA_SPANS), what="the span at Tracia")
        assert created["spanId"] == tracia_ids(trace.id, span.id)[1]
    settled(url)
    assert upstreams["opik"].received == []
    assert len(upstreams["tracia"].bodies("POST", TRACIA_SPANS)) == (1 if primary == "tracia" else 0)
