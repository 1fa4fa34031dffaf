"""Every captured Scale span-assessment request decodes to the expected canonical record;
the float rating the SDK let through is rejected."""

import pytest

from proxy.errors import CheckFailed, ValidationFailed
from proxy.model import Ref

from .support import MAPPINGS, capture, decode, decode_capture

TRACE, SPAN = Ref("scale", "trace-capture-1"), Ref("scale", "span-capture-1")
ON_SPAN = {"entity": "span", "trace_id": TRACE, "span_id": SPAN, "source": "api"}
AID = "3f1c6a9e-0000-4000-8000-00000000a001"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("POST_v5_span-assessments.json", {"op": "comment", "name": "comment", "comment": "free text feedback"}),
        (
            "POST_v5_span-assessments.2.json",
            {"op": "upsert", "name": "rating", "value": 4, "scale": [1, 5], "comment": "why 4"},
        ),
        (
            "POST_v5_span-assessments.3.json",
            {"op": "upsert", "name": "approval", "value": 1, "scale": [0, 1], "label": "approved"},
        ),
        (
            "POST_v5_span-assessments.4.json",
            {"op": "upsert", "name": "approval", "value": 0, "scale": [0, 1], "label": "rejected", "comment": "wrong"},
        ),
        (
            "POST_v5_span-assessments.5.json",
            {"op": "upsert", "name": "rubric", "rubric": {"accuracy": "pass", "tone": "fail"}},
        ),
        (
            "POST_v5_span-assessments.6.json",
            {
                "op": "upsert",
                "name": "metadata",
                "value": 0.9,
                "metadata": {"opik_name": "accuracy", "value": 0.9, "nested": {"k": [1, 2]}},
            },
        ),
        (
            "POST_v5_span-assessments.7.json",
            {"op": "upsert", "name": "overwrite", "correction": {"output": {"completion": "corrected answer"}}},
        ),
    ],
)
def test_create_each_assessment_type(name, expected):
    [rec] = decode_capture("scale", name)
    assert rec.present() == {**ON_SPAN, **expected}
    assert rec.origin == {"vendor": "scale", "endpoint": "create", "overwrites": False}


def test_create_without_span_id_is_about_the_trace():
    [rec] = decode_capture("scale", "POST_v5_span-assessments.8.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "trace",
        "trace_id": TRACE,
        "name": "rating",
        "value": 5,
        "scale": [1, 5],
        "source": "api",
    }


def test_create_with_a_float_rating_is_rejected():
    with pytest.raises(ValidationFailed) as info:
        decode_capture("scale", "POST_v5_span-assessments.9.json")
    assert [(v.loc, v.kind, v.input, v.expected) for v in info.value.violations] == [
        (("body", "rating"), "type", 0.9, "an integer")
    ]
    reply = MAPPINGS["scale"].error(422, info.value.code, info.value.message, info.value.violations)
    assert (reply.status, reply.body) == (
        422,
        {
            "detail": [
                {
                    "type": "int_from_float",
                    "loc": ["body", "rating"],
                    "msg": "Input should be a valid integer, got a number with a fractional part",
                    "input": 0.9,
                }
            ]
        },
    )


def test_create_with_an_integral_float_rating_is_accepted():
    [rec] = decode(
        "scale", "POST", "/v5/span-assessments", {"assessment_type": "rating", "trace_id": "t", "rating": 4.0}
    )
    assert (rec.value, rec.scale) == (4.0, [1, 5])


def test_metadata_carried_by_the_proxy_is_read_back():
    meta = {
        "name": "accuracy",
        "value": 0.9,
        "scale": [0, 1],
        "label": "good",
        "source": "ui",
        "project": "p1",
        "k": "v",
    }
    [rec] = decode(
        "scale",
        "POST",
        "/v5/span-assessments",
        {"assessment_type": "metadata", "trace_id": "t", "span_id": "s", "metadata": meta},
    )
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "trace_id": Ref("scale", "t"),
        "span_id": Ref("scale", "s"),
        "project": "p1",
        "name": "accuracy",
        "value": 0.9,
        "scale": [0, 1],
        "label": "good",
        "metadata": meta,
        "source": "ui",
    }


def test_patch_is_an_update_of_the_assessment_in_the_path():
    [rec] = decode_capture("scale", "PATCH_v5_span-assessments_ID.json")
    assert rec.present() == {
        "op": "update",
        "entity": "span",
        "vendor_id": AID,
        "value": 2,
        "comment": "changed my mind",
        "source": "api",
    }


def test_delete_is_a_removal_by_assessment_id():
    [rec] = decode_capture("scale", "DELETE_v5_span-assessments_ID.json")
    assert rec.present() == {"op": "remove", "entity": "span", "vendor_id": AID}


def test_get_is_a_read_by_assessment_id():
    for name in ("GET_v5_span-assessments_ID.json", "GET_v5_span-assessments_ID.2.json"):
        [rec] = decode_capture("scale", name)
        assert rec.present() == {"op": "read", "entity": "span", "vendor_id": AID}


def test_list_by_trace():
    [rec] = decode_capture("scale", "GET_v5_span-assessments.json")
    assert rec.present() == {"op": "list", "entity": "trace", "trace_id": TRACE}


def test_list_by_span_and_type():
    [rec] = decode_capture("scale", "GET_v5_span-assessments.2.json")
    assert rec.present() == {"op": "list", "entity": "span", "span_id": SPAN, "label": "approval"}


def test_list_needs_a_trace_or_span_id():
    """Scale's 400, not a 422 (tests/unit/test_check_status.py)."""
    with pytest.raises(CheckFailed) as info:
        decode("scale", "GET", "/v5/span-assessments", None, {"assessment_type": "rating"})
    assert (info.value.status, info.value.message) == (
        400,
        "Either span_id or trace_id must be provided as a query parameter",
    )


def test_spans_decode_to_spans_and_v4_has_no_feedback_endpoint():
    for name in (
        "POST_v5_spans.json",
        "PUT_v5_spans_batch.json",
    ):  # decoded as spans, not feedback (tests/unit/test_spans_decode.py)
        assert {r.op for r in decode_capture("scale", name)} == {"span"}, name
    c = capture("scale", "DELETE_v4_threads_thread-1_messages_interaction-1_feedback.json")
    assert MAPPINGS["scale"].match(c["method"], c["path"]) is None


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"assessment_type": "rating", "rating": 4}, [(("body", "trace_id"), "missing")]),
        ({"assessment_type": "rating", "trace_id": "t", "rating": 7}, [(("body", "rating"), "max")]),
        ({"assessment_type": "rating", "trace_id": "t"}, [(("body", "rating"), "missing")]),
        ({"assessment_type": "approval", "trace_id": "t", "approval": "maybe"}, [(("body", "approval"), "one_of")]),
        ({"assessment_type": "comment", "trace_id": "t"}, [(("body", "comment"), "missing")]),
        ({"assessment_type": "rubric", "trace_id": "t"}, [(("body", "rubric"), "missing")]),
        ({"assessment_type": "grade", "trace_id": "t"}, [(("body", "assessment_type"), "one_of")]),
        ({"trace_id": "t"}, [(("body", "assessment_type"), "missing")]),
        ({"assessment_type": "comment", "trace_id": "x" * 257, "comment": "c"}, [(("body", "trace_id"), "max_length")]),
    ],
)
def test_create_violations(body, expected):
    with pytest.raises(ValidationFailed) as info:
        decode("scale", "POST", "/v5/span-assessments", body)
    assert [(v.loc, v.kind) for v in info.value.violations] == expected
