"""The answers the proxy synthesizes for a client, in the client's vendor shape."""

from .support import MAPPINGS, decode, decode_capture

NOW = "2026-01-15T10:35:00.000Z"


def ctx(**extra):
    return {"translate": lambda ref, kind: ref.value, "now_iso": NOW, "vendor_id": None, **extra}


def reply(vendor, endpoint, records, **extra):
    m = MAPPINGS[vendor]
    r = m.respond(m.endpoints[endpoint], records, ctx(**extra))
    return r.status, r.body, r.headers


def test_opik_score_writes_answer_204_without_a_body():
    for endpoint in (
        "traces_scores",
        "spans_scores",
        "threads_scores",
        "trace_score",
        "span_score",
        "trace_score_delete",
        "threads_score_delete",
    ):
        assert reply("opik", endpoint, decode_capture("opik", "PUT_api_v1_private_traces_feedback-scores.json")) == (
            204,
            None,
            {},
        ), endpoint


def test_opik_comment_answers_201_with_a_location():
    records = decode_capture("opik", "POST_api_v1_private_traces_ID_comments.json")
    url = "http://proxy/api/v1/private/traces/01a20c41-d6d9-7674-bd71-d983f52f0a00/comments"
    assert reply("opik", "trace_comment", records, url=url, new_id="c-1") == (201, None, {"Location": f"{url}/c-1"})


def test_opik_manual_evaluation_answers_202_with_counts():
    records = decode(
        "opik",
        "POST",
        "/v1/private/manual-evaluation/spans",
        {
            "project_id": "01a20c41-d6e6-71b7-abbb-a95925745d35",
            "entity_ids": ["01a20c41-d6d9-7674-bd71-d983f52f0a00"] * 3,
            "rule_ids": ["01a20c41-d6e7-7523-8bf8-2c6e15714b3d"],
            "entity_type": "span",
        },
    )
    assert reply("opik", "evaluate_spans", records) == (202, {"entities_queued": 3, "rules_applied": 1}, {})


def test_opik_ping():
    assert reply("opik", "ping", []) == (200, {"healthy": True}, {})


def test_tracia_evaluate_answers_the_full_evaluate_result():
    records = decode_capture("tracia", "POST_api_v1_spans_sp_0123456789abcdef_evaluations.json")
    records[0].id = "01a20c41-cda1-7a06-b0a1-c98960495513"
    assert reply("tracia", "evaluate", records) == (
        200,
        {
            "id": "eval_b0a1c98960495513",
            "evaluatorKey": "quality",
            "evaluatorName": "Quality",
            "value": 1,
            "source": "api",
            "note": "looks right",
            "createdAt": NOW,
        },
        {},
    )


def test_tracia_answer_has_every_field_the_sdk_requires_even_without_a_note():
    records = decode_capture("tracia", "POST_api_v1_spans_sp_0123456789abcdef_evaluations.2.json")
    _, body, _ = reply("tracia", "evaluate", records)
    assert {"id", "evaluatorKey", "evaluatorName", "value", "source", "createdAt"} <= set(body)
    assert body["evaluatorName"] == "Quality" and body["value"] == 0


def test_scale_create_answers_the_span_assessment():
    records = decode_capture("scale", "POST_v5_span-assessments.2.json")
    assert reply("scale", "create", records, header={"x-selected-account-id": "acct_1"}) == (
        200,
        {
            "trace_id": "trace-capture-1",
            "span_id": "span-capture-1",
            "assessment_type": "rating",
            "rating": 4,
            "comment": "why 4",
            "assessment_id": "rec-0",
            "created_by": "feedback-proxy",
            "object": "span.assessment",
            "account_id": "acct_1",
            "created_at": NOW,
            "updated_at": NOW,
        },
        {},
    )


def test_scale_create_answer_uses_the_assessment_id_it_was_given():
    records = decode_capture("scale", "POST_v5_span-assessments.3.json")
    _, body, _ = reply("scale", "create", records, vendor_id="asmt-9", created_by="user_9")
    assert (body["assessment_id"], body["created_by"], body["approval"]) == ("asmt-9", "user_9", "approved")


def test_scale_delete_answer():
    records = decode_capture("scale", "DELETE_v5_span-assessments_ID.json")
    assert reply("scale", "delete", records) == (
        200,
        {"id": "3f1c6a9e-0000-4000-8000-00000000a001", "deleted": True, "object": "span.assessment"},
        {},
    )


def test_scale_list_answer_holds_one_item_per_record():
    records = decode_capture("scale", "POST_v5_span-assessments.json") + decode_capture(
        "scale", "POST_v5_span-assessments.2.json"
    )
    records[0].vendor_id, records[1].vendor_id = "a0", "a1"
    status, body, _ = reply("scale", "list", records)
    assert (status, body["object"]) == (200, "list")
    assert [
        (i["assessment_id"], i["assessment_type"], i.get("comment"), i.get("rating"), i["object"])
        for i in body["items"]
    ] == [
        ("a0", "comment", "free text feedback", None, "span.assessment"),
        ("a1", "rating", "why 4", 4, "span.assessment"),
    ]


def test_scale_empty_list():
    assert reply("scale", "list", []) == (200, {"items": [], "object": "list"}, {})
