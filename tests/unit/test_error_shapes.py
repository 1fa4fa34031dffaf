"""Error answers in each vendor's own shape, from real decode failures."""

import pytest

from proxy.errors import ValidationFailed, Violation

from .support import MAPPINGS, capture, decode

TRACE = "01a20c41-cda1-7a06-b0a1-c98960495513"


def rejected(vendor, method, path, body, query=None):
    with pytest.raises(ValidationFailed) as info:
        decode(vendor, method, path, body, query)
    exc = info.value
    reply = MAPPINGS[vendor].error(exc.status, exc.code, exc.message, exc.violations)
    return reply.status, reply.body


# --- Opik: 422 {"errors": [...]} with Java paths; 400 {"code","message"} for unbindable input --


def test_opik_blank_thread_id_in_a_batch():
    got = rejected(
        "opik",
        "PUT",
        "/api/v1/private/traces/threads/feedback-scores",
        {"scores": [{"thread_id": " ", "name": "n", "value": 1, "source": "sdk"}]},
    )
    assert got == (422, {"errors": ["scores[0].threadId must not be blank"]})


def test_opik_several_violations_in_one_answer():
    got = rejected(
        "opik",
        "PUT",
        "/v1/private/traces/feedback-scores",
        {
            "scores": [
                {"id": TRACE, "name": "ok", "value": 1, "source": "sdk"},
                {"id": TRACE, "value": 1e10, "source": "sdk", "project_name": "  "},
            ]
        },
    )
    assert got == (
        422,
        {
            "errors": [
                "scores[1].name must not be null",
                "scores[1].value must be less than or equal to 999999999.999999999",
                'scores[1].projectName must match "(?s)^\\s*(\\S.*\\S|\\S)\\s*$"',
            ]
        },
    )


def test_opik_single_score_paths_have_no_prefix():
    got = rejected("opik", "PUT", f"/v1/private/traces/{TRACE}/feedback-scores", {"name": "n", "source": "sdk"})
    assert got == (422, {"errors": ["value must not be null"]})


def test_opik_value_below_the_range():
    got = rejected(
        "opik", "PUT", f"/v1/private/spans/{TRACE}/feedback-scores", {"name": "n", "value": -2e9, "source": "sdk"}
    )
    assert got == (422, {"errors": ["value must be greater than or equal to -999999999.999999999"]})


def test_opik_empty_batch():
    assert rejected("opik", "PUT", "/v1/private/spans/feedback-scores", {"scores": []}) == (
        422,
        {"errors": ["scores size must be between 1 and 1000"]},
    )


def test_opik_thread_delete_names_must_be_unique():
    got = rejected(
        "opik",
        "POST",
        "/v1/private/traces/threads/feedback-scores/delete",
        {"project_name": "p", "thread_id": "t", "names": ["a", "a"]},
    )
    assert got == (422, {"errors": ["names must only contain unique elements"]})


def test_opik_unknown_source_is_a_400_jackson_error():
    got = rejected(
        "opik",
        "PUT",
        "/v1/private/traces/feedback-scores",
        {"scores": [{"id": TRACE, "name": "n", "value": 1, "source": "api"}]},
    )
    assert got == (
        400,
        {
            "code": 400,
            "message": "Unable to process JSON. Cannot deserialize value of type "
            "`com.comet.opik.api.ScoreSource` from 'api' at scores[0].source",
        },
    )


def test_opik_text_value_is_a_400_bigdecimal_error():
    got = rejected(
        "opik", "PUT", f"/v1/private/traces/{TRACE}/feedback-scores", {"name": "n", "value": "high", "source": "sdk"}
    )
    assert got == (
        400,
        {
            "code": 400,
            "message": "Unable to process JSON. Cannot deserialize value of type "
            "`java.math.BigDecimal` from 'high' at value",
        },
    )


def test_opik_plain_errors_are_code_and_message():
    reply = MAPPINGS["opik"].error(404, "NOT_FOUND", f"Trace id: {TRACE} not found")
    assert (reply.status, reply.body) == (404, {"code": 404, "message": f"Trace id: {TRACE} not found"})


# --- Tracia: {"error": {"code","message"}} plus flat copies for the docs' reader ------------


def test_tracia_validation_is_400_invalid_request():
    got = rejected("tracia", "POST", "/api/v1/spans/sp_0123456789abcdef/evaluations", {"value": "1"})
    message = "evaluatorKey is required; value must be a number"
    assert got == (
        400,
        {"error": {"code": "INVALID_REQUEST", "message": message}, "code": "INVALID_REQUEST", "message": message},
    )


@pytest.mark.parametrize(
    "status, code",
    [
        (401, "UNAUTHORIZED"),
        (404, "NOT_FOUND"),
        (409, "CONFLICT"),
        (429, "RATE_LIMITED"),
        (500, "PROVIDER_ERROR"),
        (502, "PROVIDER_ERROR"),
    ],
)
def test_tracia_code_follows_the_status(status, code):
    reply = MAPPINGS["tracia"].error(status, "WHATEVER", "text")
    assert (reply.status, reply.body) == (
        status,
        {"error": {"code": code, "message": "text"}, "code": code, "message": "text"},
    )


# --- Scale: FastAPI {"detail": [...]} for 422, {"detail": "..."} otherwise ----------------


def test_scale_missing_trace_id_and_rating_above_5():
    got = rejected("scale", "POST", "/v5/span-assessments", {"assessment_type": "rating", "rating": 7})
    assert got == (
        422,
        {
            "detail": [
                {"type": "missing", "loc": ["body", "trace_id"], "msg": "Field required"},
                {
                    "type": "less_than_equal",
                    "loc": ["body", "rating"],
                    "msg": "Input should be less than or equal to 5",
                    "input": 7,
                    "ctx": {"le": 5},
                },
            ]
        },
    )


def test_scale_rating_below_1():
    got = rejected("scale", "POST", "/v5/span-assessments", {"assessment_type": "rating", "trace_id": "t", "rating": 0})
    assert got == (
        422,
        {
            "detail": [
                {
                    "type": "greater_than_equal",
                    "loc": ["body", "rating"],
                    "msg": "Input should be greater than or equal to 1",
                    "input": 0,
                    "ctx": {"ge": 1},
                }
            ]
        },
    )


def test_scale_unknown_approval_is_a_literal_error():
    got = rejected(
        "scale", "POST", "/v5/span-assessments", {"assessment_type": "approval", "trace_id": "t", "approval": "ok"}
    )
    assert got == (
        422,
        {
            "detail": [
                {
                    "type": "literal_error",
                    "loc": ["body", "approval"],
                    "msg": "Input should be 'approved' or 'rejected'",
                    "input": "ok",
                }
            ]
        },
    )


def test_scale_text_comment_of_the_wrong_type():
    got = rejected(
        "scale", "POST", "/v5/span-assessments", {"assessment_type": "comment", "trace_id": "t", "comment": 5}
    )
    assert got == (
        422,
        {
            "detail": [
                {"type": "string_type", "loc": ["body", "comment"], "msg": "Input should be a valid string", "input": 5}
            ]
        },
    )


def test_scale_trace_id_too_long():
    got = rejected(
        "scale", "POST", "/v5/span-assessments", {"assessment_type": "comment", "trace_id": "x" * 257, "comment": "c"}
    )
    assert got == (
        422,
        {
            "detail": [
                {
                    "type": "string_too_long",
                    "loc": ["body", "trace_id"],
                    "msg": "String should have at most 256 characters",
                    "input": "x" * 257,
                }
            ]
        },
    )


def test_scale_plain_errors_are_a_detail_string():
    reply = MAPPINGS["scale"].error(404, "NOT_FOUND", "no assessment with id 'a1'")
    assert (reply.status, reply.body) == (404, {"detail": "no assessment with id 'a1'"})


def test_scale_body_that_is_not_an_object():
    reply = MAPPINGS["scale"].error(422, "X", "m", [Violation(("body",), "type", input=[1], expected="a JSON object")])
    assert reply.body == {
        "detail": [
            {
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": [1],
            }
        ]
    }


# --- the same shapes the SDKs were captured reading -----------------------------------


def test_scale_422_matches_the_captured_fastapi_answer():
    canned = capture("scale", "errors/422/POST_v5_span-assessments.json")["response"]
    body = {"assessment_type": "rating", "trace_id": "trace-capture-1", "span_id": "span-capture-1", "rating": 7}
    assert rejected("scale", "POST", "/v5/span-assessments", body) == (canned["status"], canned["body"])


def test_opik_422_matches_the_captured_answer():
    canned = capture("opik", "errors/PUT_api_v1_private_spans_feedback-scores.json")
    body = {"scores": [{**canned["body"]["scores"][0], "name": ""}]}
    assert rejected("opik", "PUT", "/api/v1/private/spans/feedback-scores", body) == (422, canned["response"]["body"])


def test_tracia_404_has_the_nested_shape_the_sdk_reads():
    canned = capture("tracia", "errors/404_nested/POST_api_v1_spans_sp_0123456789abcdef_evaluations.json")["response"]
    reply = MAPPINGS["tracia"].error(404, "NOT_FOUND", "Span not found: sp_0123456789abcdef")
    assert reply.status == canned["status"]
    assert reply.body["error"] == canned["body"]["error"]
