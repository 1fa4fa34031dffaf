"""Many records -> one request (`group`, chunked at `max`) and one record -> many (`each`)."""

from proxy.model import Ref

from .support import encode, score, wire

V7 = "01a20c41-cda1-7a06-b0a1-c98960495513"
SPAN = "01a20c41-cda2-71b4-9594-4a914fb72968"


def opik_trace_score(i: int):
    return score(entity="trace", trace_id=("opik", V7), name=f"m{i}", value=i / 10, source="sdk")


def test_2500_opik_scores_become_puts_of_1000_1000_500():
    requests, refused = encode("opik", [opik_trace_score(i) for i in range(2500)])
    assert refused == []
    assert [(r.method, r.path) for r in requests] == [("PUT", "/v1/private/traces/feedback-scores")] * 3
    assert [len(r.body["scores"]) for r in requests] == [1000, 1000, 500]
    assert [len(r.records) for r in requests] == [1000, 1000, 500]
    names = [item["name"] for r in requests for item in r.body["scores"]]
    assert names == [f"m{i}" for i in range(2500)]  # order kept across chunks


def test_exactly_1000_scores_make_one_put():
    requests, _ = encode("opik", [opik_trace_score(i) for i in range(1000)])
    assert [len(r.body["scores"]) for r in requests] == [1000]


def test_trace_span_and_thread_scores_group_per_endpoint():
    records = [
        opik_trace_score(0),
        score(entity="span", span_id=("opik", SPAN), name="s", value=1.0, source="ui"),
        score(entity="thread", thread_id="th-1", name="t", value=0.5, project="p"),
        opik_trace_score(1),
    ]
    requests, _ = encode("opik", records)
    assert wire(requests) == [
        (
            "PUT",
            "/v1/private/traces/feedback-scores",
            {
                "scores": [
                    {"name": "m0", "value": 0.0, "source": "sdk", "id": V7},
                    {"name": "m1", "value": 0.1, "source": "sdk", "id": V7},
                ]
            },
        ),
        (
            "PUT",
            "/v1/private/spans/feedback-scores",
            {"scores": [{"name": "s", "value": 1.0, "source": "ui", "id": SPAN}]},
        ),
        (
            "PUT",
            "/v1/private/traces/threads/feedback-scores",
            {"scores": [{"name": "t", "value": 0.5, "source": "sdk", "project_name": "p", "thread_id": "th-1"}]},
        ),
    ]


def test_ungrouped_endpoints_send_one_request_per_record():
    records = [score(op="comment", entity="trace", trace_id=("opik", V7), comment=c) for c in ("a", "b")]
    requests, _ = encode("opik", records)
    assert wire(requests) == [
        ("POST", f"/v1/private/traces/{V7}/comments", {"text": "a"}),
        ("POST", f"/v1/private/traces/{V7}/comments", {"text": "b"}),
    ]


def test_scale_rubric_fans_out_to_one_opik_score_per_key():
    rec = score(
        entity="span",
        trace_id=("scale", "t1"),
        span_id=("opik", SPAN),
        rubric={"accuracy": "pass", "tone": "fail", "depth": "0.25"},
        comment="graded",
        source="api",
    )
    requests, refused = encode("opik", [rec])
    assert refused == []
    assert wire(requests) == [
        (
            "PUT",
            "/v1/private/spans/feedback-scores",
            {
                "scores": [
                    {
                        "id": SPAN,
                        "name": "accuracy",
                        "value": 1,
                        "category_name": "pass",
                        "reason": "graded",
                        "source": "sdk",
                    },
                    {
                        "id": SPAN,
                        "name": "tone",
                        "value": 0,
                        "category_name": "fail",
                        "reason": "graded",
                        "source": "sdk",
                    },
                    {
                        "id": SPAN,
                        "name": "depth",
                        "value": 0.25,
                        "category_name": "0.25",
                        "reason": "graded",
                        "source": "sdk",
                    },
                ]
            },
        )
    ]
    assert requests[0].records == [rec]  # three items, one record


def test_rubric_fan_out_is_batched_apart_from_plain_scores():
    """Batches are per encode case: the rubric's items go in a PUT of their own."""
    plain, rubric = opik_trace_score(0), score(entity="trace", trace_id=("opik", V7), rubric={"a": "yes", "b": "no"})
    requests, _ = encode("opik", [plain, rubric])
    assert [(r.path, [(i["name"], i["value"]) for i in r.body["scores"]], r.records) for r in requests] == [
        ("/v1/private/traces/feedback-scores", [("m0", 0.0)], [plain]),
        ("/v1/private/traces/feedback-scores", [("a", 1), ("b", 0)], [rubric]),
    ]


def test_rubric_key_without_a_number_refuses_the_record_instead_of_sending_null():
    rec = score(entity="span", span_id=("opik", SPAN), rubric={"accuracy": "pass", "style": "excellent"})
    requests, refused = encode("opik", [rec])
    assert requests == []
    assert [why for _, why in refused] == ["opik spans_scores: value: missing (from item.value)"]


def test_records_keep_their_ids_as_refs_until_encoded():
    rec = opik_trace_score(0)
    assert rec.trace_id == Ref("opik", V7)
