"""Scale span assessments (decoded from SDK captures) encoded for Opik, Tracia and Scale itself."""

from proxy.model import Ref, Span, span_key
from proxy.resolve import Resolver
from proxy.store import MemoryStore
from proxy.store.writes import Writes

from .support import capture, decode, decode_capture, encode, opik_id, reasons, tracia_span, wire

CREATE = "POST_v5_span-assessments"
OPIK_SPAN = "PUT", "/v1/private/spans/feedback-scores"


def opik_items(name: str) -> list:
    requests, refused = encode("opik", decode_capture("scale", name))
    assert refused == []
    assert [(r.method, r.path) for r in requests] == [OPIK_SPAN]
    return requests[0].body["scores"]


# --- Scale -> Opik -----------------------------------------------------------------


def test_rating_goes_to_opik_raw_with_comment_as_reason(frozen):
    assert opik_items(f"{CREATE}.2.json") == [
        {"id": opik_id("scale", "span-capture-1"), "name": "rating", "value": 4, "source": "sdk", "reason": "why 4"}
    ]


def test_approval_becomes_a_0_1_score_with_its_category(frozen):
    span = opik_id("scale", "span-capture-1")
    assert opik_items(f"{CREATE}.3.json") == [
        {"id": span, "name": "approval", "value": 1, "source": "sdk", "category_name": "approved"}
    ]
    assert opik_items(f"{CREATE}.4.json") == [
        {"id": span, "name": "approval", "value": 0, "source": "sdk", "category_name": "rejected", "reason": "wrong"}
    ]


def test_rubric_becomes_one_score_per_key(frozen):
    span = opik_id("scale", "span-capture-1")
    assert opik_items(f"{CREATE}.5.json") == [
        {"id": span, "name": "accuracy", "value": 1, "category_name": "pass", "source": "sdk"},
        {"id": span, "name": "tone", "value": 0, "category_name": "fail", "source": "sdk"},
    ]


def test_foreign_metadata_with_a_value_becomes_a_score_named_after_its_type(frozen):
    assert opik_items(f"{CREATE}.6.json") == [
        {"id": opik_id("scale", "span-capture-1"), "name": "metadata", "value": 0.9, "source": "sdk"}
    ]


def test_rating_without_a_span_is_a_trace_score(frozen):
    requests, _ = encode("opik", decode_capture("scale", f"{CREATE}.8.json"))
    assert wire(requests) == [
        (
            "PUT",
            "/v1/private/traces/feedback-scores",
            {"scores": [{"id": opik_id("scale", "trace-capture-1"), "name": "rating", "value": 5, "source": "sdk"}]},
        )
    ]


def test_comment_becomes_an_opik_span_comment(frozen):
    requests, _ = encode("opik", decode_capture("scale", f"{CREATE}.json"))
    assert wire(requests) == [
        ("POST", f"/v1/private/spans/{opik_id('scale', 'span-capture-1')}/comments", {"text": "free text feedback"})
    ]


def test_overwrite_has_no_opik_target():
    requests, refused = encode("opik", decode_capture("scale", f"{CREATE}.7.json"))
    assert (requests, reasons(refused)) == ([], ["opik spans_scores needs a record with value present"])


def test_unresolved_patch_and_delete_are_refused_by_opik():
    for name, why in (
        ("PATCH_v5_span-assessments_ID.json", "opik spans_scores: id: missing (from span_id)"),
        ("DELETE_v5_span-assessments_ID.json", "opik span_score_delete: id: missing (from span_id)"),
    ):
        requests, refused = encode("opik", decode_capture("scale", name))
        assert (requests, reasons(refused)) == ([], [why]), name


# --- Scale -> Tracia ---------------------------------------------------------------


def test_rating_is_thresholded_for_tracia_and_carried_in_the_note():
    requests, _ = encode("tracia", decode_capture("scale", f"{CREATE}.2.json"))
    assert wire(requests) == [
        (
            "POST",
            f"/api/v1/spans/{tracia_span('scale', 'span-capture-1')}/evaluations",
            {"evaluatorKey": "rating", "value": 1, "note": 'why 4\n[feedback-proxy] {"value": 4, "scale": [1, 5]}'},
        )
    ]


def test_rating_threshold_is_the_middle_of_1_to_5():
    got = []
    for rating in (1, 2, 3, 4, 5):
        records = decode(
            "scale",
            "POST",
            "/v5/span-assessments",
            {"assessment_type": "rating", "trace_id": "t", "span_id": "s", "rating": rating},
        )
        got.append(encode("tracia", records)[0][0].body["value"])
    assert got == [0, 0, 1, 1, 1]


def test_approval_reaches_tracia_as_0_or_1():
    requests, _ = encode("tracia", decode_capture("scale", f"{CREATE}.4.json"))
    assert requests[0].body == {
        "evaluatorKey": "approval",
        "value": 0,
        "note": 'wrong\n[feedback-proxy] {"value": 0, "scale": [0, 1], "label": "rejected"}',
    }


def test_what_tracia_cannot_take_is_refused_with_the_reason():
    cases = {
        f"{CREATE}.8.json": "tracia evaluate: spanId: missing (from root_span_id)",  # a trace's: waits for its root
        f"{CREATE}.json": "Tracia has no comments; only an evaluation's note",
        f"{CREATE}.5.json": "tracia evaluate needs a record with value present",  # a rubric has no value
        "DELETE_v5_span-assessments_ID.json": "Tracia has no endpoint to delete an evaluation",
    }
    for name, why in cases.items():
        requests, refused = encode("tracia", decode_capture("scale", name))
        assert (requests, reasons(refused)) == ([], [why]), name


# --- Scale -> Scale ----------------------------------------------------------------


def test_scale_to_scale_rebuilds_each_captured_create():
    for n in ("", ".2", ".3", ".4", ".5", ".7", ".8"):
        sent = capture("scale", f"{CREATE}{n}.json")["body"]
        requests, refused = encode("scale", decode_capture("scale", f"{CREATE}{n}.json"))
        assert (wire(requests), refused) == ([("POST", "/v5/span-assessments", sent)], []), n


def test_scale_to_scale_metadata_gains_the_carried_name_and_source():
    requests, _ = encode("scale", decode_capture("scale", f"{CREATE}.6.json"))
    assert requests[0].body == {
        "trace_id": "trace-capture-1",
        "span_id": "span-capture-1",
        "assessment_type": "metadata",
        "metadata": {
            "name": "metadata",
            "value": 0.9,
            "source": "api",
            "opik_name": "accuracy",
            "nested": {"k": [1, 2]},
        },
    }


def test_scale_rubric_values_are_sent_as_text():
    records = decode(
        "scale", "POST", "/v5/span-assessments", {"assessment_type": "rubric", "trace_id": "t", "rubric": {"a": "pass"}}
    )
    records[0].rubric = {"a": 1, "b": "fail"}
    requests, _ = encode("scale", records)
    assert requests[0].body == {"trace_id": "t", "assessment_type": "rubric", "rubric": {"a": "1", "b": "fail"}}


def test_an_assessment_on_a_trace_reaches_tracia_on_the_root_span_tracia_has():
    """Scale attaches an assessment written with no span_id to the trace's root span: so does
    the proxy at Tracia, once Tracia has that span (the Scale span of the trace with no parent)."""
    store = MemoryStore()
    root = Span(
        trace_id=Ref("scale", "trace-capture-1"),
        span_id=Ref("scale", "span-root"),
        root=True,
        start_time="2025-01-01T00:00:00Z",
        id=span_key("scale", "span", "span-root"),
    )
    Resolver(store).remember([root], None, Writes())
    [(_, why)] = encode("tracia", decode_capture("scale", f"{CREATE}.8.json"), store)[1]
    assert why.missing == "root_span_id"  # seen, but not at Tracia yet: it waits
    store.mark_delivered("tracia", [(root.id, "its print")])
    requests, refused = encode("tracia", decode_capture("scale", f"{CREATE}.8.json"), store)
    at = f"/api/v1/spans/{tracia_span('scale', 'span-root')}/evaluations"
    assert refused == [] and wire(requests) == [
        ("POST", at, {"evaluatorKey": "rating", "value": 1, "note": '[feedback-proxy] {"value": 5, "scale": [1, 5]}'})
    ]
