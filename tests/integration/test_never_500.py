"""Whatever a client sends to a feedback endpoint, the answer is never a 500 and
never shows a stack trace: a generated mix of valid, half-valid and nonsense bodies."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CLIENT_HEADERS
from tests.integration.shapes import HTTP, UUID7, assert_clean

SCORE = {"id": UUID7, "name": "accuracy", "value": 0.5, "source": "sdk"}
# (client vendor, method, path, a valid body to start from)
ENDPOINTS = [
    (
        "tracia",
        "POST",
        "/api/v1/spans/sp_0123456789abcdef/evaluations",
        {"evaluatorKey": "quality", "value": 1, "note": "n"},
    ),
    ("opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [SCORE]}),
    ("opik", "PUT", "/v1/private/spans/feedback-scores", {"scores": [SCORE]}),
    ("opik", "PUT", "/opik/api/v1/private/traces/threads/feedback-scores", {"scores": [{**SCORE, "thread_id": "t-1"}]}),
    (
        "opik",
        "PUT",
        f"/api/v1/private/traces/{UUID7}/feedback-scores",
        {"name": "accuracy", "value": 1, "source": "ui"},
    ),
    ("opik", "POST", f"/api/v1/private/traces/{UUID7}/feedback-scores/delete", {"name": "accuracy"}),
    (
        "opik",
        "POST",
        "/api/v1/private/traces/threads/feedback-scores/delete",
        {"project_name": "p", "thread_id": "t-1", "names": ["a"]},
    ),
    ("opik", "POST", f"/api/v1/private/traces/{UUID7}/comments", {"text": "hello"}),
    (
        "opik",
        "POST",
        "/api/v1/private/manual-evaluation/spans",
        {"project_id": UUID7, "entity_ids": [UUID7], "rule_ids": [UUID7], "entity_type": "span"},
    ),
    (
        "scale",
        "POST",
        "/v5/span-assessments",
        {"assessment_type": "rating", "trace_id": "t-1", "span_id": "s-1", "rating": 3},
    ),
    (
        "scale",
        "POST",
        "/v5/span-assessments",
        {"assessment_type": "rubric", "trace_id": "t-1", "rubric": {"a": "pass"}},
    ),
    ("scale", "PATCH", "/v5/span-assessments/a-1", {"rating": 2}),
    ("scale", "GET", "/v5/span-assessments", None),
    ("scale", "DELETE", "/v5/span-assessments/a-1", None),
]
KEYS = [
    "scores",
    "id",
    "name",
    "value",
    "source",
    "thread_id",
    "text",
    "evaluatorKey",
    "note",
    "assessment_type",
    "trace_id",
    "span_id",
    "rating",
    "approval",
    "rubric",
    "metadata",
    "overwrite",
    "comment",
    "names",
    "project_name",
    "entity_ids",
    "rule_ids",
    "project_id",
    "entity_type",
    "category_name",
    "reason",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(
        [UUID7, "sdk", "rating", "approval", "approved", "comment", "rubric", "metadata", "overwrite", "trace"]
    ),
)
BODIES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=16,
)


@st.composite
def bodies(draw, valid):
    """The valid body, the valid body with a few fields changed or gone, or anything at all."""
    kind = draw(st.sampled_from(["valid", "changed", "any"]))
    if kind == "any" or not isinstance(valid, dict):
        return draw(BODIES) if kind != "valid" else valid
    body = json.loads(json.dumps(valid))
    for key in draw(st.lists(st.sampled_from(sorted(body) + KEYS[:6]), max_size=2)):
        if draw(st.booleans()):
            body.pop(key, None)
        else:
            body[key] = draw(BODIES)
    return body


QUERIES = st.dictionaries(st.sampled_from(["trace_id", "span_id", "assessment_type"]), st.text(max_size=4), max_size=2)


def test_no_body_gets_a_500_or_a_stack_trace(live_proxy, upstreams):
    url = live_proxy(
        [
            {"from": "opik", "primary": "scale", "mirrors": ["tracia"]},
            {"from": "scale", "primary": "opik", "mirrors": ["tracia"], "untranslatable": "drop"},
            {"from": "tracia", "primary": "opik", "mirrors": ["scale"]},
        ]
    )
    seen: set[int] = set()

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data(), QUERIES, st.integers(0, 9).map(lambda n: n == 0))
    def one(data, query, raw):
        vendor, method, path, valid = data.draw(st.sampled_from(ENDPOINTS))
        body = data.draw(bodies(valid))
        content = json.dumps(body).encode()[: -1 if raw else None]  # raw: cut short
        resp = HTTP.request(
            method,
            url + path,
            params=query,
            content=content,
            headers={**CLIENT_HEADERS[vendor], "content-type": "application/json"},
        )
        assert_clean(resp)
        seen.add(resp.status_code)

    one()
    assert {400, 422} <= seen and seen & {200, 204}  # both sides of the line were reached
