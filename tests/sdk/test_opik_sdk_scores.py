"""The opik 2.2.122 SDK's batched feedback scores through the proxy: trace, span and
thread scores to an Opik primary (forwarded as is, on every path prefix), to a
Scale primary and to a Tracia primary (translated), with the other vendors as mirrors."""

from __future__ import annotations

import re

import pytest
from opik.id_helpers import generate_id

from proxy import ids
from tests.conftest import parked, settled, wait_for

TRACIA_EVAL = re.compile(r"^/api/v1/spans/(sp_[0-9a-f]{16})/evaluations$")


@pytest.mark.parametrize("prefix", ["", "/api", "/opik/api"])
def test_an_opik_primary_gets_the_scores_verbatim_on_every_prefix(live_proxy, upstreams, opik_sdk, prefix, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "opik", "primary": "opik", "mirrors": ["scale", "tracia"]}])
    client = opik_sdk(url, prefix, "proj-a")
    trace, span = generate_id(), generate_id()
    client.log_traces_feedback_scores([{"id": trace, "name": "accuracy", "value": 0.9, "reason": "ok"}])
    client.log_spans_feedback_scores([{"id": span, "name": "helpful", "value": 1.0}])
    assert client.flush() is True

    opik = upstreams["opik"]
    assert opik.bodies("PUT", r"^/api/v1/private/traces/feedback-scores$") == [
        {
            "scores": [
                {
                    "project_name": "proj-a",
                    "name": "accuracy",
                    "value": 0.9,
                    "reason": "ok",
                    "source": "sdk",
                    "id": trace,
                    "category_name": None,
                }
            ]
        }
    ]
    assert opik.bodies("PUT", r"^/api/v1/private/spans/feedback-scores$") == [
        {
            "scores": [
                {
                    "project_name": "proj-a",
                    "name": "helpful",
                    "value": 1.0,
                    "source": "sdk",
                    "id": span,
                    "category_name": None,
                    "reason": None,
                }
            ]
        }
    ]
    assert {r.path for r in opik.received} == {
        "/api/v1/private/traces/feedback-scores",
        "/api/v1/private/spans/feedback-scores",
    }
    assert all(r.headers["x-opik-debug-sdk-version"] == "2.2.122" for r in opik.received)

    [trace_mirror] = wait_for(lambda: upstreams["scale"].received, what="the Scale mirror")
    assert (trace_mirror.method, trace_mirror.path) == ("POST", "/v5/span-assessments")
    assert trace_mirror.body == {
        "trace_id": trace,
        "assessment_type": "metadata",
        "comment": "ok",
        "metadata": {"name": "accuracy", "value": 0.9, "source": "sdk", "project": "proj-a"},
    }
    [span_mirror] = wait_for(lambda: upstreams["tracia"].received, what="the Tracia mirror")
    assert TRACIA_EVAL.match(span_mirror.path) and span_mirror.body == {"evaluatorKey": "helpful", "value": 1.0}
    # the other half of each pair waits: trace scores for a root span at Tracia, span scores for their trace at Scale
    parked(caplog, url, tracia=1, scale=1)
    assert (len(upstreams["scale"].received), len(upstreams["tracia"].received)) == (1, 1)


def test_gzip_bodies_are_inflated_for_translation_and_forwarded_as_sent(live_proxy, upstreams, opik_sdk):
    client = opik_sdk(live_proxy([{"from": "opik", "primary": "opik", "mirrors": ["scale"]}]))
    traces = [generate_id() for _ in range(4)]
    client.log_traces_feedback_scores(
        [{"id": t, "name": f"metric-{i}", "value": i / 4, "reason": "r" * 80} for i, t in enumerate(traces)]
    )
    assert client.flush() is True

    [put] = upstreams["opik"].received
    assert put.headers["content-encoding"] == "gzip"  # the SDK compressed it; the proxy passed it on as it was
    assert [s["id"] for s in put.body["scores"]] == traces
    wait_for(lambda: len(upstreams["scale"].received) == 4, what="four Scale creates")
    made = sorted(upstreams["scale"].bodies("POST"), key=lambda b: b["metadata"]["name"])
    assert [(b["trace_id"], b["metadata"]["name"], b["metadata"]["value"], b["comment"]) for b in made] == [
        (t, f"metric-{i}", i / 4, "r" * 80) for i, t in enumerate(traces)
    ]
    assert all("content-encoding" not in r.headers for r in upstreams["scale"].received)


def test_trace_scores_to_a_scale_primary(live_proxy, upstreams, opik_sdk, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "opik", "primary": "scale", "mirrors": ["tracia"]}])
    client = opik_sdk(url, project="proj-s")
    first, second = generate_id(), generate_id()
    client.log_traces_feedback_scores(
        [
            {"id": first, "name": "accuracy", "value": 0.25, "category_name": "poor"},
            {"id": second, "name": "tone", "value": 3, "reason": "fine"},
        ]
    )
    assert client.flush() is True

    made = sorted(upstreams["scale"].bodies("POST", r"^/v5/span-assessments$"), key=lambda b: b["metadata"]["name"])
    assert made == [
        {
            "trace_id": first,
            "assessment_type": "metadata",
            "metadata": {"name": "accuracy", "value": 0.25, "label": "poor", "source": "sdk", "project": "proj-s"},
        },
        {
            "trace_id": second,
            "assessment_type": "metadata",
            "comment": "fine",
            "metadata": {"name": "tone", "value": 3, "source": "sdk", "project": "proj-s"},
        },
    ]
    parked(caplog, url, tracia=2)
    assert upstreams["tracia"].received == []  # Tracia evaluates spans: they wait for a root span of their trace


def test_span_scores_to_a_tracia_primary(live_proxy, upstreams, opik_sdk, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["scale"]}])
    client = opik_sdk(url)
    good, unsure = generate_id(), generate_id()
    client.log_spans_feedback_scores(
        [
            {"id": good, "name": "quality", "value": 1, "reason": "spot on"},
            {"id": unsure, "name": "quality", "value": 0.75},
        ]
    )
    assert client.flush() is True

    got = {TRACIA_EVAL.match(r.path).group(1): r.body for r in upstreams["tracia"].received}
    assert len(got) == 2
    assert sorted(got.values(), key=lambda b: b["note"]) == [
        {"evaluatorKey": "quality", "value": 1, "note": "[feedback-proxy] " + '{"value": 0.75}'},
        {"evaluatorKey": "quality", "value": 1.0, "note": "spot on"},
    ]
    parked(caplog, url, scale=2)
    assert upstreams["scale"].received == []  # Scale needs the span's trace id, which the proxy has not seen


@pytest.mark.parametrize("policy, flushed", [("reject", False), ("drop", True)])
def test_scores_tracia_cannot_hold_are_refused_or_dropped_as_the_route_says(
    live_proxy, upstreams, opik_sdk, policy, flushed
):
    client = opik_sdk(live_proxy([{"from": "opik", "primary": "tracia", "untranslatable": policy}]))
    client.log_threads_feedback_scores([{"id": "thread-1", "name": "accuracy", "value": 1}])  # Tracia has no threads
    assert client.flush() is flushed
    assert upstreams["tracia"].received == []


def test_thread_scores_reach_an_opik_primary_and_no_mirror(live_proxy, upstreams, opik_sdk):
    url = live_proxy([{"from": "opik", "primary": "opik", "mirrors": ["scale", "tracia"]}])
    client = opik_sdk(url, project="proj-t")
    client.log_threads_feedback_scores([{"id": "thread-1", "name": "satisfaction", "value": 0.5, "reason": "meh"}])
    assert client.flush() is True
    [put] = upstreams["opik"].received
    assert (put.method, put.path) == ("PUT", "/api/v1/private/traces/threads/feedback-scores")
    assert put.body == {
        "scores": [
            {
                "project_name": "proj-t",
                "name": "satisfaction",
                "value": 0.5,
                "reason": "meh",
                "source": "sdk",
                "thread_id": "thread-1",
                "category_name": None,
            }
        ]
    }
    settled(url)
    assert upstreams["scale"].received == [] and upstreams["tracia"].received == []


def test_a_trace_with_a_scored_span_to_a_tracia_primary_logs_no_error(live_proxy, upstreams, opik_sdk, caplog):
    """What the docs show, under the default `untranslatable: reject`: Tracia gets the span, the
    span's score on it and the trace's score on the trace's root span (the SDK may send that score
    before the span: it waits for it); the trace itself has nothing to send; the SDK sees no error."""
    client = opik_sdk(live_proxy([{"from": "opik", "primary": "tracia"}]), project="proj-py")
    trace = client.trace(name="answer", input={"question": "2+2?"})
    span = trace.span(name="llm-call", type="llm", input={"prompt": "2+2?"}, model="gpt-4o", provider="openai")
    span.end(output={"completion": "4"})
    trace.log_feedback_score("quality", 0.8, reason="right, but terse")
    span.log_feedback_score("relevance", 1)
    trace.end(output={"answer": "4"})
    with caplog.at_level("WARNING", logger="opik"):
        assert client.flush() is True
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []

    secret = "feedback-proxy"
    sp, tr = "sp_" + ids.derived_hex(secret, f"opik:{span.id}"), "tr_" + ids.derived_hex(secret, f"opik:{trace.id}")
    tracia = upstreams["tracia"]
    received = wait_for(
        lambda: len(tracia.bodies("POST", TRACIA_EVAL.pattern)) == 2 and tracia.received, what="both evaluations"
    )
    [created] = tracia.bodies("POST", r"^/api/v1/spans$")
    assert (created["spanId"], created["traceId"], created["model"], created["output"]) == (
        sp,
        tr,
        "gpt-4o",
        '{"completion": "4"}',
    )
    evaluations = [r for r in received if TRACIA_EVAL.match(r.path)]
    assert sorted((r.path, r.body["evaluatorKey"], r.body["value"], r.body.get("note")) for r in evaluations) == [
        (f"/api/v1/spans/{sp}/evaluations", "quality", 1, 'right, but terse\n[feedback-proxy] {"value": 0.8}'),
        (f"/api/v1/spans/{sp}/evaluations", "relevance", 1, None),
    ]
    assert [r.method for r in tracia.received] == ["POST"] * 3
