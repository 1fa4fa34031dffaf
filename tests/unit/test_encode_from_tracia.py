"""Tracia evaluations (decoded from SDK captures) encoded for Opik, Scale and Tracia itself."""

import dataclasses

from proxy.model import Ref
from proxy.store import MemoryStore

from .support import decode, decode_capture, encode, opik_id, reasons, wire

SPAN = "sp_0123456789abcdef"
EVAL = "POST_api_v1_spans_sp_0123456789abcdef_evaluations"


def with_trace(records, trace="tr_00000000000000bb"):
    """What the resolver adds when the proxy has seen the span: its trace."""
    return [dataclasses.replace(r, trace_id=Ref("tracia", trace)) for r in records]


# --- Tracia -> Opik ----------------------------------------------------------------


def test_evaluation_becomes_an_opik_span_score_on_a_v7_id(frozen):
    requests, refused = encode("opik", decode_capture("tracia", f"{EVAL}.json"))
    assert refused == []
    assert wire(requests) == [
        (
            "PUT",
            "/v1/private/spans/feedback-scores",
            {
                "scores": [
                    {
                        "id": opik_id("tracia", SPAN),
                        "name": "quality",
                        "value": 1,
                        "source": "sdk",
                        "reason": "looks right",
                    }
                ]
            },
        )
    ]


def test_value_goes_to_opik_unchanged(frozen):
    values = [
        encode("opik", decode_capture("tracia", f"{EVAL}{n}.json"))[0][0].body["scores"][0]["value"]
        for n in ("", ".2", ".3")
    ]
    assert values == [1, 0, 0.75]


def test_same_span_gets_the_same_opik_id_through_the_registry():
    store = MemoryStore()
    first, _ = encode("opik", decode_capture("tracia", f"{EVAL}.json"), store)
    second, _ = encode("opik", decode_capture("tracia", f"{EVAL}.2.json"), store)
    assert first[0].body["scores"][0]["id"] == second[0].body["scores"][0]["id"]
    assert store.origin_of("opik", first[0].body["scores"][0]["id"]) == ("tracia", SPAN)


def test_special_span_id_maps_to_a_v7_id(frozen):
    requests, _ = encode("opik", decode_capture("tracia", "POST_api_v1_spans_sp_abc_2Fspecial_20id_evaluations.json"))
    assert requests[0].body["scores"][0]["id"] == opik_id("tracia", "sp_abc/special id")


# --- Tracia -> Scale ---------------------------------------------------------------


def test_without_a_trace_id_scale_refuses_naming_trace_id():
    requests, refused = encode("scale", decode_capture("tracia", f"{EVAL}.json"))
    assert (requests, reasons(refused)) == ([], ["scale create: trace_id: missing (from trace_id)"])


def test_quality_1_with_note_becomes_an_approved_approval_with_comment():
    requests, refused = encode("scale", with_trace(decode_capture("tracia", f"{EVAL}.json")))
    assert refused == []
    assert wire(requests) == [
        (
            "POST",
            "/v5/span-assessments",
            {
                "trace_id": "tr_00000000000000bb",
                "span_id": SPAN,
                "assessment_type": "approval",
                "approval": "approved",
                "comment": "looks right",
            },
        )
    ]


def test_quality_0_becomes_a_rejected_approval():
    requests, _ = encode("scale", with_trace(decode_capture("tracia", f"{EVAL}.2.json")))
    assert requests[0].body == {
        "trace_id": "tr_00000000000000bb",
        "span_id": SPAN,
        "assessment_type": "approval",
        "approval": "rejected",
    }


def test_a_value_that_is_not_0_or_1_is_carried_in_metadata():
    requests, _ = encode("scale", with_trace(decode_capture("tracia", f"{EVAL}.3.json")))
    assert requests[0].body == {
        "trace_id": "tr_00000000000000bb",
        "span_id": SPAN,
        "assessment_type": "metadata",
        "comment": "float",
        "metadata": {"name": "quality", "value": 0.75, "scale": [0, 1], "source": "api"},
    }


def test_another_evaluator_key_is_carried_in_metadata():
    requests, _ = encode(
        "scale",
        with_trace(
            decode("tracia", "POST", f"/api/v1/spans/{SPAN}/evaluations", {"evaluatorKey": "helpfulness", "value": 1})
        ),
    )
    assert requests[0].body == {
        "trace_id": "tr_00000000000000bb",
        "span_id": SPAN,
        "assessment_type": "metadata",
        "metadata": {"name": "helpfulness", "value": 1, "scale": [0, 1], "source": "api"},
    }


def test_a_note_carried_from_a_scale_rating_becomes_a_rating_again():
    note = 'why 4\n[feedback-proxy] {"value": 4, "scale": [1, 5]}'
    records = decode(
        "tracia", "POST", f"/api/v1/spans/{SPAN}/evaluations", {"evaluatorKey": "rating", "value": 1, "note": note}
    )
    requests, _ = encode("scale", with_trace(records))
    assert requests[0].body == {
        "trace_id": "tr_00000000000000bb",
        "span_id": SPAN,
        "assessment_type": "rating",
        "rating": 4,
        "comment": "why 4",
    }


# --- Tracia -> Tracia --------------------------------------------------------------


def test_tracia_to_tracia_keeps_0_1_evaluations_as_they_are():
    for n, body in (
        ("", {"evaluatorKey": "quality", "value": 1, "note": "looks right"}),
        (".2", {"evaluatorKey": "quality", "value": 0}),
    ):
        requests, _ = encode("tracia", decode_capture("tracia", f"{EVAL}{n}.json"))
        assert wire(requests) == [("POST", f"/api/v1/spans/{SPAN}/evaluations", body)]


def test_tracia_to_tracia_keeps_the_special_span_id_encoded():
    requests, _ = encode("tracia", decode_capture("tracia", "POST_api_v1_spans_sp_abc_2Fspecial_20id_evaluations.json"))
    assert wire(requests) == [
        ("POST", "/api/v1/spans/sp_abc%2Fspecial%20id/evaluations", {"evaluatorKey": "quality", "value": 1})
    ]


def test_tracia_to_tracia_thresholds_a_float_and_carries_it():
    requests, _ = encode("tracia", decode_capture("tracia", f"{EVAL}.3.json"))
    assert requests[0].body == {
        "evaluatorKey": "quality",
        "value": 1,
        "note": 'float\n[feedback-proxy] {"value": 0.75, "scale": [0, 1]}',
    }


def test_a_record_without_a_span_id_is_refused_not_sent_to_an_empty_path():
    [rec] = decode_capture("tracia", f"{EVAL}.json")
    requests, refused = encode("tracia", [dataclasses.replace(rec, span_id=None)])
    assert (requests, reasons(refused)) == ([], ["tracia evaluate: spanId: missing (from span_id)"])
