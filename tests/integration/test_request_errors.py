"""Requests the proxy rejects itself, before any upstream: each in the client's
vendor shape and status, none reaching an upstream."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.conftest import VENDORS
from tests.integration.shapes import (
    SPAN,
    UUID7,
    VALID,
    error_of,
    opik_error,
    opik_errors,
    scale_detail,
    send,
    tracia_error,
)

EVALUATE = f"/api/v1/spans/{SPAN}/evaluations"
TRACES = "/api/v1/private/traces/feedback-scores"
CREATE = "/v5/span-assessments"


@pytest.fixture
def url(live_proxy, upstreams):
    # no primary: a path the proxy does not know cannot pass through to one
    yield live_proxy(
        [{"from": "*", "mirrors": list(VENDORS)}], limits={"max_body_bytes": 4000, "max_inflated_bytes": 8000}
    )
    assert all(not fake.received for fake in upstreams.values()), "a rejected request reached an upstream"


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_body_that_is_not_json(url, vendor):
    method, path, _ = VALID[vendor]
    message = error_of(vendor, send(url, vendor, method, path, content=b'{"value": 1,'), 400)
    # Opik's Jackson mapper opens every such message with "Unable to process JSON."
    assert message.startswith(("Unable to process JSON. " if vendor == "opik" else "") + "body is not valid JSON")


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_body_that_claims_gzip_but_is_not(url, vendor):
    method, path, body = VALID[vendor]
    resp = send(url, vendor, method, path, content=json.dumps(body).encode(), **{"content-encoding": "gzip"})
    assert error_of(vendor, resp, 400).startswith("body is not valid gzip")


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_unknown_content_encoding(url, vendor):
    method, path, body = VALID[vendor]
    resp = send(url, vendor, method, path, content=json.dumps(body).encode(), **{"content-encoding": "br"})
    assert error_of(vendor, resp, 400) == "unsupported Content-Encoding 'br'; use gzip or deflate"


@pytest.mark.parametrize("vendor", VENDORS)
def test_bodies_over_the_limits(url, vendor):
    method, path, body = VALID[vendor]
    big = json.dumps({**body, "padding": "x" * 5000}).encode()
    assert (
        error_of(vendor, send(url, vendor, method, path, content=big), 413)
        == f"request body of {len(big)} bytes is over the limit of 4000"
    )
    bomb = gzip.compress(json.dumps({**body, "padding": "x" * 9000}).encode())
    assert len(bomb) < 4000
    resp = send(url, vendor, method, path, content=bomb, **{"content-encoding": "gzip"})
    assert error_of(vendor, resp, 413) == "inflated request body is over the limit of 8000 bytes"


def test_tracia_wrong_types_and_missing_fields(url):
    def reject(body):
        return tracia_error(send(url, "tracia", "POST", EVALUATE, body), 400, "INVALID_REQUEST")

    assert reject({"evaluatorKey": "quality", "value": "high"}) == "value must be a number"
    assert reject({"evaluatorKey": "quality", "value": True}) == "value must be a number"
    assert reject({"evaluatorKey": "quality", "value": 1, "note": 5}) == "note must be a string"
    assert reject({}) == "evaluatorKey is required; value is required"
    assert reject([{"evaluatorKey": "quality", "value": 1}]) == "body must be a JSON object"
    assert (
        tracia_error(send(url, "tracia", "POST", EVALUATE, content=b""), 400, "INVALID_REQUEST")
        == "evaluatorKey is required; value is required"
    )


def test_opik_wrong_types_are_400_and_broken_constraints_422(url):
    def put(scores, path=TRACES):
        return send(url, "opik", "PUT", path, {"scores": scores})

    item = {"id": UUID7, "name": "accuracy", "value": 0.5, "source": "sdk"}
    opik_error(
        put([{**item, "value": "high"}]),
        400,
        "Unable to process JSON. Cannot deserialize value of type `java.math.BigDecimal` from 'high' at "
        "scores[0].value",
    )
    opik_error(
        put([{**item, "id": "not-a-uuid"}]),
        400,
        "Unable to process JSON. Cannot deserialize value of type `java.util.UUID` from 'not-a-uuid' at scores[0].id",
    )
    opik_error(
        put([{**item, "source": "robot"}]),
        400,
        "Unable to process JSON. Cannot deserialize value of type `com.comet.opik.api.ScoreSource` from 'robot' at "
        "scores[0].source",
    )
    opik_error(
        send(url, "opik", "PUT", TRACES, {"scores": {"id": UUID7}}),
        400,
        "Unable to process JSON. Cannot deserialize value of type `java.util.List` from {'id': "
        "'01a2105d-41f8-77e4-83f2-4905344d3b48'} at scores",
    )

    assert opik_errors(put([{k: v for k, v in item.items() if k != "name"}, {**item, "value": 1e10}])) == [
        "scores[0].name must not be null",
        "scores[1].value must be less than or equal to 999999999.999999999",
    ]
    assert opik_errors(put([])) == ["scores size must be between 1 and 1000"]
    assert opik_errors(send(url, "opik", "PUT", TRACES, {})) == ["scores must not be null"]
    thread = {"thread_id": "", "name": "accuracy", "value": 1, "source": "sdk"}
    assert opik_errors(put([thread], "/api/v1/private/traces/threads/feedback-scores")) == [
        "scores[0].threadId must not be blank"
    ]
    assert opik_errors(
        send(url, "opik", "PUT", f"/api/v1/private/traces/{UUID7}/feedback-scores", {"name": "a", "source": "sdk"})
    ) == ["value must not be null"]
    resp = send(
        url,
        "opik",
        "POST",
        "/api/v1/private/traces/threads/feedback-scores/delete",
        {"project_name": "p", "thread_id": "t", "names": ["a", "a"]},
    )
    assert opik_errors(resp) == ["names must only contain unique elements"]


def test_scale_validation_is_fastapi_422(url):
    def create(**body):
        return scale_detail(send(url, "scale", "POST", CREATE, body), 422)

    assert create(assessment_type="rating", trace_id="t") == [
        {"type": "missing", "loc": ["body", "rating"], "msg": "Field required"}
    ]
    assert create(assessment_type="rating", trace_id="t", rating=2.5) == [
        {
            "type": "int_from_float",
            "loc": ["body", "rating"],
            "msg": "Input should be a valid integer, got a number with a fractional part",
            "input": 2.5,
        }
    ]
    assert create(assessment_type="rating", trace_id=5, rating=2) == [
        {"type": "string_type", "loc": ["body", "trace_id"], "msg": "Input should be a valid string", "input": 5}
    ]
    assert create(assessment_type="approval", trace_id="t", approval="maybe") == [
        {
            "type": "literal_error",
            "loc": ["body", "approval"],
            "msg": "Input should be 'approved' or 'rejected'",
            "input": "maybe",
        }
    ]
    assert create(assessment_type="rubric", trace_id="t", rubric="x") == [
        {"type": "dict_type", "loc": ["body", "rubric"], "msg": "Input should be a valid dictionary", "input": "x"}
    ]
    assert create(assessment_type="rating", rating=3) == [
        {"type": "missing", "loc": ["body", "trace_id"], "msg": "Field required"}
    ]
    assert create(assessment_type="praise", trace_id="t")[0]["type"] == "literal_error"
    patch = scale_detail(send(url, "scale", "PATCH", f"{CREATE}/a-1", {"rating": 0}), 422)
    assert patch == [
        {
            "type": "greater_than_equal",
            "loc": ["body", "rating"],
            "msg": "Input should be greater than or equal to 1",
            "input": 0,
            "ctx": {"ge": 1},
        }
    ]


@pytest.mark.parametrize(
    "vendor, path, message",
    [
        ("opik", "/api/v1/private/nope", "no endpoint at GET /api/v1/private/nope"),
        ("opik", "/opik/api/v1/private/nope", "no endpoint at GET /opik/api/v1/private/nope"),
        ("tracia", "/api/v1/nothing", "no endpoint at GET /api/v1/nothing"),
        ("scale", "/v5/other", "no endpoint at GET /v5/other"),
    ],
)
def test_an_unknown_path_is_a_404_in_the_vendor_shape(live_proxy, upstreams, vendor, path, message):
    # the primary is of another vendor, so nothing can pass an unknown path through
    url = live_proxy([{"from": "*", "primary": "scale" if vendor != "scale" else "opik"}])
    assert error_of(vendor, send(url, vendor, "GET", path), 404) == message
    assert all(not fake.received for fake in upstreams.values())


@pytest.mark.parametrize(
    "vendor, method, path",
    [
        ("opik", "GET", TRACES),
        ("opik", "POST", "/is-alive/ping"),
        ("tracia", "GET", EVALUATE),
        ("scale", "PUT", CREATE),
        ("scale", "OPTIONS", CREATE),
    ],
)
def test_a_wrong_method_is_a_405_in_the_vendor_shape(url, vendor, method, path):
    assert error_of(vendor, send(url, vendor, method, path), 405) == f"{method} is not allowed on {path}"


def test_a_path_no_vendor_owns(url):
    resp = send(url, "opik", "GET", "/whatever")
    assert (resp.status_code, resp.json()) == (
        404,
        {"detail": "Not Found", "code": 404, "message": "no endpoint at GET /whatever"},
    )


def test_no_body_where_one_span_is_due_is_a_validation_error(url):
    """POST /v5/spans takes the body as the span: with no body there is no span at all (it was a 503)."""
    [violation] = scale_detail(send(url, "scale", "POST", "/v5/spans", content=b""), 422)
    assert violation["loc"] == ["body"] and violation["type"] == "missing"
