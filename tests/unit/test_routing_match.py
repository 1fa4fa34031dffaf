"""Matching a client's method and path to an endpoint: prefixes, literal before
templated, percent-decoded path params."""

import pytest

from .support import MAPPINGS

OPIK, TRACIA, SCALE = MAPPINGS["opik"], MAPPINGS["tracia"], MAPPINGS["scale"]
V7 = "01a20c41-cda1-7a06-b0a1-c98960495513"


@pytest.mark.parametrize("prefix", ["", "/api", "/opik/api"])
def test_opik_is_served_under_each_prefix(prefix):
    endpoint, params, used = OPIK.match("PUT", f"{prefix}/v1/private/traces/feedback-scores")
    assert (endpoint.name, params, used) == ("traces_scores", {}, prefix)


def test_opik_unknown_prefix_does_not_match():
    assert OPIK.match("PUT", "/other/v1/private/traces/feedback-scores") is None


@pytest.mark.parametrize(
    "method, path, name, params",
    [
        ("PUT", "/api/v1/private/traces/threads/feedback-scores", "threads_scores", {}),
        ("POST", "/api/v1/private/traces/threads/feedback-scores/delete", "threads_score_delete", {}),
        ("PUT", f"/api/v1/private/traces/{V7}/feedback-scores", "trace_score", {"id": V7}),
        ("POST", f"/api/v1/private/traces/{V7}/feedback-scores/delete", "trace_score_delete", {"id": V7}),
        ("PUT", f"/api/v1/private/spans/{V7}/feedback-scores", "span_score", {"id": V7}),
        ("POST", f"/opik/api/v1/private/spans/{V7}/comments", "span_comment", {"id": V7}),
        ("POST", "/v1/private/manual-evaluation/threads", "evaluate_threads", {}),
        ("GET", "/api/is-alive/ping", "ping", {}),
    ],
)
def test_opik_endpoints(method, path, name, params):
    endpoint, got, _ = OPIK.match(method, path)
    assert (endpoint.name, got) == (name, params)


def test_literal_threads_path_beats_the_templated_trace_path():
    """/traces/threads/... would also fit /traces/{id}/... with id='threads'."""
    endpoint, params, _ = OPIK.match("PUT", "/v1/private/traces/threads/feedback-scores")
    assert endpoint.name == "threads_scores" and params == {}


def test_method_must_match():
    assert OPIK.match("POST", "/v1/private/traces/feedback-scores") is None
    assert SCALE.match("PUT", "/v5/span-assessments") is None


def test_trailing_slash_is_accepted():
    assert OPIK.match("PUT", "/api/v1/private/traces/feedback-scores/")[0].name == "traces_scores"


def test_a_param_does_not_span_slashes():
    assert OPIK.match("PUT", "/v1/private/traces/a/b/feedback-scores") is None


def test_tracia_span_id_is_percent_decoded():
    endpoint, params, prefix = TRACIA.match("POST", "/api/v1/spans/sp_abc%2Fspecial%20id/evaluations")
    assert (endpoint.name, params, prefix) == ("evaluate", {"spanId": "sp_abc/special id"}, "")


def test_tracia_plain_span_id():
    assert TRACIA.match("POST", "/api/v1/spans/sp_0123456789abcdef/evaluations")[1] == {"spanId": "sp_0123456789abcdef"}


@pytest.mark.parametrize(
    "method, path, name, params",
    [
        ("POST", "/v5/span-assessments", "create", {}),
        ("GET", "/v5/span-assessments", "list", {}),
        ("GET", "/v5/span-assessments/a1", "get", {"span_assessment_id": "a1"}),
        ("PATCH", "/v5/span-assessments/a1", "update", {"span_assessment_id": "a1"}),
        ("DELETE", "/v5/span-assessments/a%201", "delete", {"span_assessment_id": "a 1"}),
    ],
)
def test_scale_endpoints(method, path, name, params):
    endpoint, got, _ = SCALE.match(method, path)
    assert (endpoint.name, got) == (name, params)


def test_paths_without_an_endpoint_are_claimed_by_their_vendor():
    assert OPIK.match("GET", "/api/v1/private/projects") is None
    assert OPIK.owns("/api/v1/private/projects") > 0
    assert TRACIA.match("GET", "/api/v1/spans") is None and TRACIA.owns("/api/v1/spans") > 0
    assert SCALE.match("POST", "/v5/spans/search") is None and SCALE.owns("/v5/spans/search") > 0
    assert SCALE.owns("/api/v1/spans") == 0


def test_prefix_of_picks_the_longest_prefix():
    assert OPIK.prefix_of("/opik/api/v1/private/traces/feedback-scores") == "/opik/api"
    assert OPIK.prefix_of("/api/v1/private/x") == "/api"
    assert OPIK.prefix_of("/v1/private/x") == ""
