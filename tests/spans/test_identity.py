"""One identity per thing across every vendor: an id the proxy wrote to a vendor as it is (a
Tracia span id at Scale, a Scale span's UUIDv7 at Opik) is that vendor's alias of the same
span, trace or assessment, so a client of that vendor naming it reaches the same object at
every other vendor (README, What maps to what)."""

from __future__ import annotations

import re

from proxy import ids
from tests.conftest import settled, wait_for

from .conftest import OPIK_SPAN_SCORES, OPIK_SPANS, OPIK_TRACES, SCALE_SPANS, TRACIA_EVALS
from .test_from_tracia import opik_spans, payload

SPAN, TRACE = "sp_00000000000000bb", "tr_00000000000000bb"
FROM_TRACIA = {"from": "tracia", "primary": "tracia", "mirrors": ["opik", "scale"]}
FROM_SCALE = {"from": "scale", "primary": "scale", "mirrors": ["opik"]}
OPIK_TRACE_SCORES = r"^/api/v1/private/traces/feedback-scores$"
OPIK_SPAN_SCORE_DELETE = r"^/api/v1/private/spans/[^/]+/feedback-scores/delete$"


def opik_trace_ids(upstreams) -> list[str]:
    return [t["id"] for b in upstreams["opik"].bodies("POST", OPIK_TRACES) for t in b["traces"]]


def test_a_scale_client_s_score_about_a_tracia_span_reaches_opik_on_that_span(
    live_proxy, upstreams, tracia_sdk, scale_sdk, scale_spans
):
    """Tracia's span went to Opik (a derived UUID) and to Scale (as it is). A Scale client rates
    it by the id Scale holds: Opik gets the score on the UUID it has the span under, and the
    trace score on its trace, not on new UUIDs that name nothing."""
    url = live_proxy([FROM_TRACIA, FROM_SCALE])
    tracia_sdk(url).spans.create(payload(SPAN, trace_id=TRACE))
    wait_for(lambda: len(opik_spans(upstreams)) == 1 and SPAN in scale_spans, what="the span at Opik and at Scale")
    [span] = opik_spans(upstreams)
    [trace] = opik_trace_ids(upstreams)
    assert scale_spans[SPAN]["trace_id"] == TRACE

    client = scale_sdk(url)
    client.span_assessments.create(assessment_type="rating", trace_id=TRACE, span_id=SPAN, rating=4, comment="fine")
    client.span_assessments.create(assessment_type="approval", trace_id=TRACE, approval="approved")  # about the trace
    [span_score] = wait_for(lambda: upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES), what="the Opik span score")
    [trace_score] = wait_for(lambda: upstreams["opik"].bodies("PUT", OPIK_TRACE_SCORES), what="the Opik trace score")
    assert span_score == {
        "scores": [{"id": span["id"], "name": "rating", "value": 4, "source": "sdk", "reason": "fine"}]
    }
    assert trace_score == {
        "scores": [{"id": trace, "name": "approval", "value": 1, "source": "sdk", "category_name": "approved"}]
    }
    assert span["trace_id"] == trace and ids.is_uuid7(span["id"])
    settled(url)
    assert len(opik_spans(upstreams)) == 1 and opik_trace_ids(upstreams) == [trace]  # no second span or trace made


def test_a_scale_client_s_change_and_removal_of_an_assessment_the_proxy_made_reach_opik(
    live_proxy, upstreams, tracia_sdk, scale_sdk, scale_spans
):
    """A Tracia evaluation became a Scale assessment (its id learned from Scale's answer) and an
    Opik score. A Scale client changes, then deletes, that assessment by its Scale id: the same
    feedback, so Opik's score on the span changes, then goes, too."""
    from tracia import EvaluateOptions

    url = live_proxy([FROM_TRACIA, FROM_SCALE])
    tracia = tracia_sdk(url)
    tracia.spans.create(payload(SPAN, trace_id=TRACE))
    tracia.spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=1, note="good"))
    [first] = wait_for(lambda: upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES), what="the evaluation at Opik")
    [made] = wait_for(lambda: list(upstreams["scale"].assessments.values()), what="the evaluation at Scale")
    assert (made["span_id"], made["assessment_type"], made["approval"]) == (SPAN, "approval", "approved")

    client = scale_sdk(url)
    changed = client.span_assessments.update(made["assessment_id"], approval="rejected", comment="wrong after all")
    assert changed.approval == "rejected"  # Scale's own answer, forwarded
    wait_for(lambda: len(upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES)) == 2, what="the change at Opik")
    [_, second] = upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES)
    [span] = opik_spans(upstreams)
    assert first == {"scores": [{"id": span["id"], "name": "quality", "value": 1, "source": "sdk", "reason": "good"}]}
    assert second == {
        "scores": [
            {
                "id": span["id"],
                "name": "quality",
                "value": 0,
                "source": "sdk",
                "reason": "wrong after all",
                "category_name": "rejected",
            }
        ]
    }

    client.span_assessments.delete(made["assessment_id"])  # and removed: gone from Opik's span too
    [gone] = wait_for(lambda: upstreams["opik"].bodies("POST", OPIK_SPAN_SCORE_DELETE), what="the removal at Opik")
    assert gone == {"name": "quality"}
    assert [r.path for r in upstreams["opik"].received if r.path.endswith("/delete")] == [
        f"/api/v1/private/spans/{span['id']}/feedback-scores/delete"
    ]


def test_an_opik_client_s_score_about_a_scale_span_reaches_tracia_on_the_span_tracia_has(
    live_proxy, upstreams, scale_sdk, opik_sdk
):
    """A Scale span whose id is a UUIDv7 went to Opik as it is and to Tracia as a derived `sp_`
    id. An Opik client scores it by that UUID: Tracia gets the evaluation on the span it has."""
    url = live_proxy(
        [
            {"from": "scale", "primary": "scale", "mirrors": ["opik", "tracia"]},
            {"from": "opik", "primary": "opik", "mirrors": ["tracia"]},
        ]
    )
    span_id, trace_id = ids.uuid7(), ids.uuid7()
    scale_sdk(url).spans.create(
        name="root",
        trace_id=trace_id,
        id=span_id,
        type="TRACER",
        input={"q": "2+2?"},
        output={"a": "4"},
        start_timestamp="2026-12-01T10:00:00Z",
        end_timestamp="2026-12-01T10:00:02Z",
    )
    [sent] = wait_for(lambda: upstreams["tracia"].bodies("POST", r"^/api/v1/spans$"), what="the span at Tracia")
    wait_for(lambda: upstreams["opik"].bodies("POST", OPIK_SPANS), what="the span at Opik")
    assert [s["id"] for s in opik_spans(upstreams)] == [span_id]  # a v7 id: Opik takes it as it is
    tracia_span = sent["spanId"]
    assert tracia_span.startswith("sp_") and tracia_span != span_id

    client = opik_sdk(url, project="proj")
    client.log_spans_feedback_scores([{"id": span_id, "name": "quality", "value": 1, "reason": "right"}])
    client.flush()
    [evaluation] = wait_for(
        lambda: [r for r in upstreams["tracia"].received if re.search(TRACIA_EVALS, r.path)],
        what="the evaluation at Tracia",
    )
    assert evaluation.path == f"/api/v1/spans/{tracia_span}/evaluations"
    assert evaluation.body == {"evaluatorKey": "quality", "value": 1, "note": "right"}


def test_a_scale_client_naming_a_tracia_span_before_its_scale_mirror_arrived_names_it(
    live_proxy, upstreams, tracia_sdk, scale_sdk
):
    """Scale failed and its breaker is open: the Tracia span waits in the outbox, not yet written
    to Scale. A Scale client rates the span by Tracia's id (the id Scale will hold): Opik, its
    primary, gets the score on the span's UUID, not on a UUID of its own made for good."""
    from tests.conftest import FAST_DELIVERY

    closed_for_a_minute = {**FAST_DELIVERY, "breaker": {"failures": 1, "cooldown": 60}}
    url = live_proxy(
        [FROM_TRACIA, {"from": "scale", "primary": "opik"}], upstream_patch={"scale": {"delivery": closed_for_a_minute}}
    )
    upstreams["scale"].fail_next(1, 503)
    tracia = tracia_sdk(url)
    tracia.spans.create(payload("sp_00000000000000aa", trace_id=TRACE))
    [failed] = wait_for(lambda: upstreams["scale"].bodies("PUT", SCALE_SPANS), what="the first span failing at Scale")
    wait_for(lambda: len(opik_spans(upstreams)) == 1, what="the first span at Opik")
    tracia.spans.create(payload(SPAN, trace_id=TRACE))
    wait_for(lambda: len(opik_spans(upstreams)) == 2, what="the second span at Opik")
    spans = opik_spans(upstreams)
    scale_sdk(url).span_assessments.create(assessment_type="rating", trace_id=TRACE, span_id=SPAN, rating=2)
    [score] = upstreams["opik"].bodies("PUT", OPIK_SPAN_SCORES)  # a primary: there before the answer
    assert score == {"scores": [{"id": spans[1]["id"], "name": "rating", "value": 2, "source": "sdk"}]}
    assert [i["id"] for i in failed["items"]] == ["sp_00000000000000aa"]
    assert len(upstreams["scale"].received) == 1  # the breaker is open: SPAN has not been written to Scale
