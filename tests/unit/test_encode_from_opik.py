"""Opik feedback (decoded from SDK captures) encoded for Tracia, Scale and Opik itself."""

import dataclasses

from proxy.model import Ref, Span, span_key
from proxy.resolve import Resolver
from proxy.store import MemoryStore
from proxy.store.writes import Writes

from .support import decode, decode_capture, encode, reasons, tracia_span, wire

TRACE = "01a20c41-cda1-7a06-b0a1-c98960495513"
SPAN = "01a20c41-cda2-71b4-9594-4a914fb72968"
REST_TRACE = "01a20c41-d6d9-7674-bd71-d983f52f0a00"
REST_SPAN = "01a20c41-d6da-7a19-be11-55c7e051992f"
SCORES = "PUT_api_v1_private_traces_feedback-scores.json"


def span_score(**item):
    body = {"scores": [{"id": SPAN, "name": "accuracy", "value": 0.9, "source": "sdk", **item}]}
    return decode("opik", "PUT", "/api/v1/private/spans/feedback-scores", body)


# --- Opik -> Tracia ----------------------------------------------------------------


def test_span_score_0_or_1_goes_to_tracia_as_it_is():
    requests, refused = encode("tracia", decode_capture("opik", "PUT_api_v1_private_spans_feedback-scores.json"))
    assert refused == []
    assert wire(requests) == [
        ("POST", f"/api/v1/spans/{tracia_span('opik', SPAN)}/evaluations", {"evaluatorKey": "latency_ok", "value": 0.0})
    ]


def test_span_score_reason_becomes_the_note():
    requests, _ = encode("tracia", span_score(value=1, reason="spot on"))
    assert requests[0].body == {"evaluatorKey": "accuracy", "value": 1, "note": "spot on"}


def test_other_values_are_thresholded_and_carried_in_the_note():
    requests, _ = encode("tracia", decode_capture("opik", "PUT_api_v1_private_spans_ID_feedback-scores.json"))
    assert wire(requests) == [
        (
            "POST",
            f"/api/v1/spans/{tracia_span('opik', REST_SPAN)}/evaluations",
            {"evaluatorKey": "single_span_score", "value": 0, "note": '[feedback-proxy] {"value": -3.5}'},
        )
    ]


def test_category_name_is_carried_in_the_note():
    requests, _ = encode("tracia", span_score(value=1, category_name="good", reason="fine"))
    assert requests[0].body == {
        "evaluatorKey": "accuracy",
        "value": 1,
        "note": 'fine\n[feedback-proxy] {"value": 1, "label": "good"}',
    }


def test_trace_scores_wait_for_the_root_span_tracia_evaluates_them_on():
    requests, refused = encode("tracia", decode_capture("opik", SCORES))
    assert requests == []
    assert reasons(refused) == ["tracia evaluate: spanId: missing (from root_span_id)"] * 3
    assert [why.missing for _, why in refused] == ["root_span_id"] * 3  # not a refusal: each waits for the span


def test_trace_scores_go_to_the_trace_s_root_span_at_tracia():
    store = MemoryStore()
    root = Span(
        entity="span",
        trace_id=Ref("opik", TRACE),
        span_id=Ref("opik", SPAN),
        start_time="2025-01-01T00:00:00Z",
        id=span_key("opik", "span", SPAN),
    )
    Resolver(store).remember([root], None, Writes())  # the proxy has seen the trace's root span
    scores = decode_capture("opik", SCORES)
    requests, refused = encode("tracia", scores, store)
    assert requests == [] and {why.missing for _, why in refused} == {"root_span_id"}  # Tracia has not had the span yet
    store.mark_delivered("tracia", [(root.id, "its print")])
    requests, refused = encode("tracia", scores, store)
    at = f"/api/v1/spans/{tracia_span('opik', SPAN)}/evaluations"
    assert refused == [] and wire(requests) == [
        (
            "POST",
            at,
            {"evaluatorKey": "inline_score", "value": 1, "note": 'given at trace()\n[feedback-proxy] {"value": 0.5}'},
        ),
        (
            "POST",
            at,
            {
                "evaluatorKey": "accuracy",
                "value": 1,
                "note": 'looks right\n[feedback-proxy] {"value": 0.9, "label": "good"}',
            },
        ),
        ("POST", at, {"evaluatorKey": "relevance", "value": 1.0}),
    ]


def test_what_tracia_cannot_take_is_refused_with_the_reason():
    cases = {
        "PUT_api_v1_private_traces_threads_feedback-scores.json": "Tracia has no thread (session) evaluations",
        "POST_api_v1_private_spans_ID_comments.json": "Tracia has no comments; only an evaluation's note",
        "POST_api_v1_private_spans_ID_feedback-scores_delete.json": "Tracia has no endpoint to delete an evaluation",
        "POST_api_v1_private_traces_threads_feedback-scores_delete.json": (
            "Tracia has no endpoint to delete an evaluation"
        ),
        "POST_api_v1_private_manual-evaluation_traces.json": "Tracia cannot run evaluators on request",
    }
    for name, why in cases.items():
        requests, refused = encode("tracia", decode_capture("opik", name))
        assert (requests, reasons(refused)) == ([], [why]), name


# --- Opik -> Scale -----------------------------------------------------------------


def test_trace_scores_become_metadata_assessments_carrying_the_score():
    requests, refused = encode("scale", decode_capture("opik", SCORES))
    assert refused == []
    assert wire(requests) == [
        (
            "POST",
            "/v5/span-assessments",
            {
                "trace_id": TRACE,
                "assessment_type": "metadata",
                "comment": "given at trace()",
                "metadata": {"name": "inline_score", "value": 0.5, "source": "sdk", "project": "capture-project"},
            },
        ),
        (
            "POST",
            "/v5/span-assessments",
            {
                "trace_id": TRACE,
                "assessment_type": "metadata",
                "comment": "looks right",
                "metadata": {
                    "name": "accuracy",
                    "value": 0.9,
                    "label": "good",
                    "source": "sdk",
                    "project": "capture-project",
                },
            },
        ),
        (
            "POST",
            "/v5/span-assessments",
            {
                "trace_id": TRACE,
                "assessment_type": "metadata",
                "metadata": {"name": "relevance", "value": 1.0, "source": "sdk", "project": "other-project"},
            },
        ),
    ]


def test_span_score_with_its_trace_known_names_both():
    [rec] = span_score(reason="why")
    rec = dataclasses.replace(rec, trace_id=Ref("opik", TRACE))
    requests, _ = encode("scale", [rec])
    assert requests[0].body == {
        "trace_id": TRACE,
        "span_id": SPAN,
        "assessment_type": "metadata",
        "comment": "why",
        "metadata": {"name": "accuracy", "value": 0.9, "source": "sdk"},
    }


def test_span_score_without_a_trace_is_refused_naming_trace_id():
    requests, refused = encode("scale", span_score())
    assert (requests, reasons(refused)) == ([], ["scale create: trace_id: missing (from trace_id)"])


def test_approved_or_rejected_category_becomes_an_approval():
    [rec] = decode(
        "opik",
        "PUT",
        "/v1/private/traces/feedback-scores",
        {
            "scores": [
                {
                    "id": TRACE,
                    "name": "verdict",
                    "value": 0,
                    "category_name": "rejected",
                    "reason": "no",
                    "source": "ui",
                }
            ]
        },
    )
    requests, _ = encode("scale", [rec])
    assert wire(requests) == [
        (
            "POST",
            "/v5/span-assessments",
            {"trace_id": TRACE, "assessment_type": "approval", "approval": "rejected", "comment": "no"},
        )
    ]


def test_trace_comment_becomes_a_comment_assessment():
    requests, _ = encode("scale", decode_capture("opik", "POST_api_v1_private_traces_ID_comments.json"))
    assert wire(requests) == [
        (
            "POST",
            "/v5/span-assessments",
            {"trace_id": REST_TRACE, "assessment_type": "comment", "comment": "a trace comment"},
        )
    ]


def test_what_scale_cannot_take_is_refused_with_the_reason():
    cases = {
        "PUT_api_v1_private_traces_threads_feedback-scores.json": "Scale has no threads; a thread score has no target",
        "POST_api_v1_private_traces_threads_feedback-scores_delete.json": "Scale has no threads",
        "POST_api_v1_private_traces_ID_feedback-scores_delete.json": (
            "the proxy has not recorded a Scale assessment for this score, so there is nothing to delete"
        ),
        "POST_api_v1_private_manual-evaluation_traces.json": "Scale cannot run evaluators on request through this API",
    }
    for name, why in cases.items():
        requests, refused = encode("scale", decode_capture("opik", name))
        assert (requests, reasons(refused)) == ([], [why]), name


def test_a_resent_score_scale_already_holds_becomes_a_patch():
    [rec] = decode(
        "opik",
        "PUT",
        "/v1/private/traces/feedback-scores",
        {"scores": [{"id": TRACE, "name": "accuracy", "value": 0.7, "reason": "better", "source": "sdk"}]},
    )
    store = MemoryStore()
    store.learn("scale", rec.id, "asmt-1")
    requests, _ = encode("scale", [rec], store)
    assert wire(requests) == [
        (
            "PATCH",
            "/v5/span-assessments/asmt-1",
            {
                "assessment_type": "metadata",
                "comment": "better",
                "metadata": {"name": "accuracy", "value": 0.7, "source": "sdk"},
            },
        )
    ]


def test_a_delete_of_a_score_scale_holds_deletes_that_assessment():
    [rec] = decode_capture("opik", "POST_api_v1_private_traces_ID_feedback-scores_delete.json")
    store = MemoryStore()
    store.learn("scale", rec.id, "asmt-1")
    requests, _ = encode("scale", [rec], store)
    assert wire(requests) == [("DELETE", "/v5/span-assessments/asmt-1", None)]


# --- Opik -> Opik ------------------------------------------------------------------


def test_opik_to_opik_batch_drops_explicit_nulls():
    requests, _ = encode("opik", decode_capture("opik", SCORES))
    assert wire(requests) == [
        (
            "PUT",
            "/v1/private/traces/feedback-scores",
            {
                "scores": [
                    {
                        "id": TRACE,
                        "name": "inline_score",
                        "value": 0.5,
                        "source": "sdk",
                        "reason": "given at trace()",
                        "project_name": "capture-project",
                    },
                    {
                        "id": TRACE,
                        "name": "accuracy",
                        "value": 0.9,
                        "source": "sdk",
                        "reason": "looks right",
                        "category_name": "good",
                        "project_name": "capture-project",
                    },
                    {"id": TRACE, "name": "relevance", "value": 1.0, "source": "sdk", "project_name": "other-project"},
                ]
            },
        )
    ]


def test_opik_single_scores_are_written_through_the_batch_endpoint():
    requests, _ = encode("opik", decode_capture("opik", "PUT_api_v1_private_spans_ID_feedback-scores.json"))
    assert wire(requests) == [
        (
            "PUT",
            "/v1/private/spans/feedback-scores",
            {"scores": [{"id": REST_SPAN, "name": "single_span_score", "value": -3.5, "source": "ui"}]},
        )
    ]


def test_opik_to_opik_deletes_comments_and_evaluations_keep_their_shape():
    expected = {
        "POST_api_v1_private_spans_ID_feedback-scores_delete.json": (
            "POST",
            f"/v1/private/spans/{REST_SPAN}/feedback-scores/delete",
            {"name": "single_span_score", "author": "someone"},
        ),
        "POST_api_v1_private_traces_threads_feedback-scores_delete.json": (
            "POST",
            "/v1/private/traces/threads/feedback-scores/delete",
            {"project_name": "capture-project-rest", "thread_id": "capture-thread-1", "names": ["user_satisfaction"]},
        ),
        "POST_api_v1_private_traces_ID_comments.json": (
            "POST",
            f"/v1/private/traces/{REST_TRACE}/comments",
            {"text": "a trace comment"},
        ),
        "POST_api_v1_private_manual-evaluation_traces.json": (
            "POST",
            "/v1/private/manual-evaluation/traces",
            {
                "project_id": "01a20c41-d6e6-71b7-abbb-a95925745d35",
                "entity_ids": [REST_TRACE],
                "rule_ids": ["01a20c41-d6e7-7523-8bf8-2c6e15714b3d"],
                "entity_type": "trace",
            },
        ),
    }
    for name, request in expected.items():
        requests, refused = encode("opik", decode_capture("opik", name))
        assert (wire(requests), refused) == ([request], []), name
