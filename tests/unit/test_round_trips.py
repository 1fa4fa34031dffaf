"""Round trips through another vendor and back, with one registry as the proxy has:
what the first hop cannot hold is carried (Tracia note, Scale metadata) and restored."""

import dataclasses

from proxy.model import OutRequest, Ref
from proxy.store import MemoryStore

from .support import decode, encode

TRACE = "01a20c41-cda1-7a06-b0a1-c98960495513"
SPAN = "01a20c41-cda2-71b4-9594-4a914fb72968"


def redecode(vendor: str, request: OutRequest):
    """Decode a request the proxy built, as that vendor's client-facing side would."""
    return decode(vendor, request.method, request.path, request.body, request.query)


def hop(records, via: str, back: str, store: MemoryStore, patch=None):
    there, refused = encode(via, records, store)
    assert refused == []
    middle = [r for req in there for r in redecode(via, req)]
    if patch:
        middle = [dataclasses.replace(r, **patch) for r in middle]
    again, refused = encode(back, middle, store)
    assert refused == []
    return there, again


def test_opik_span_score_through_tracia_comes_back_the_same():
    item = {
        "id": SPAN,
        "name": "accuracy",
        "value": 0.9,
        "category_name": "good",
        "reason": "looks right",
        "source": "sdk",
    }
    records = decode("opik", "PUT", "/api/v1/private/spans/feedback-scores", {"scores": [item]})
    there, again = hop(records, "tracia", "opik", MemoryStore())
    assert there[0].body == {
        "evaluatorKey": "accuracy",
        "value": 1,
        "note": 'looks right\n[feedback-proxy] {"value": 0.9, "label": "good"}',
    }
    assert [(r.method, r.path, r.body) for r in again] == [
        ("PUT", "/v1/private/spans/feedback-scores", {"scores": [item]})
    ]


def test_opik_negative_score_through_tracia_keeps_its_value():
    item = {"id": SPAN, "name": "delta", "value": -3.5, "source": "sdk"}
    records = decode("opik", "PUT", "/v1/private/spans/feedback-scores", {"scores": [item]})
    there, again = hop(records, "tracia", "opik", MemoryStore())
    assert there[0].body["value"] == 0
    assert again[0].body == {"scores": [item]}


def test_opik_trace_score_through_scale_comes_back_the_same():
    item = {
        "id": TRACE,
        "name": "accuracy",
        "value": 0.25,
        "category_name": "poor",
        "reason": "meh",
        "source": "ui",
        "project_name": "p1",
    }
    records = decode("opik", "PUT", "/v1/private/traces/feedback-scores", {"scores": [item]})
    there, again = hop(records, "scale", "opik", MemoryStore())
    assert there[0].body["metadata"] == {
        "name": "accuracy",
        "value": 0.25,
        "label": "poor",
        "source": "ui",
        "project": "p1",
    }
    assert [(r.path, r.body) for r in again] == [("/v1/private/traces/feedback-scores", {"scores": [item]})]


def test_scale_rating_through_tracia_comes_back_a_rating():
    body = {"assessment_type": "rating", "trace_id": "trace-1", "span_id": "span-1", "rating": 2, "comment": "weak"}
    records = decode("scale", "POST", "/v5/span-assessments", body)
    there, again = hop(records, "tracia", "scale", MemoryStore(), patch={"trace_id": Ref("scale", "trace-1")})
    assert there[0].body == {
        "evaluatorKey": "rating",
        "value": 0,
        "note": 'weak\n[feedback-proxy] {"value": 2, "scale": [1, 5]}',
    }
    assert [(r.method, r.path, r.body) for r in again] == [("POST", "/v5/span-assessments", body)]


def test_tracia_evaluation_through_opik_comes_back_the_same():
    body = {"evaluatorKey": "quality", "value": 1, "note": "looks right"}
    records = decode("tracia", "POST", "/api/v1/spans/sp_0123456789abcdef/evaluations", body)
    _, again = hop(records, "opik", "tracia", MemoryStore())
    assert [(r.path, r.body) for r in again] == [("/api/v1/spans/sp_0123456789abcdef/evaluations", body)]


def test_scale_approval_through_opik_comes_back_an_approval():
    body = {"assessment_type": "approval", "trace_id": "trace-1", "approval": "rejected", "comment": "wrong"}
    records = decode("scale", "POST", "/v5/span-assessments", body)
    there, again = hop(records, "opik", "scale", MemoryStore())
    assert there[0].body["scores"][0]["category_name"] == "rejected"
    assert [(r.path, r.body) for r in again] == [("/v5/span-assessments", body)]


def test_ids_come_back_to_their_own_vendor_through_the_registry():
    store = MemoryStore()
    records = decode(
        "tracia", "POST", "/api/v1/spans/sp_00000000000000aa/evaluations", {"evaluatorKey": "quality", "value": 0}
    )
    there, again = hop(records, "opik", "tracia", store)
    opik_span = there[0].body["scores"][0]["id"]
    assert store.origin_of("opik", opik_span) == ("tracia", "sp_00000000000000aa")
    assert again[0].path == "/api/v1/spans/sp_00000000000000aa/evaluations"
