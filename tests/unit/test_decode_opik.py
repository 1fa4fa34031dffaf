"""Every captured Opik SDK feedback request decodes to the expected canonical records."""

import pytest

from proxy.errors import ValidationFailed, Violation
from proxy.model import Ref

from .support import decode, decode_capture

TRACE = "01a20c41-cda1-7a06-b0a1-c98960495513"
SPAN = "01a20c41-cda2-71b4-9594-4a914fb72968"
REST_TRACE = "01a20c41-d6d9-7674-bd71-d983f52f0a00"
REST_SPAN = "01a20c41-d6da-7a19-be11-55c7e051992f"


def test_trace_scores_batch_is_one_record_per_item():
    records = decode_capture("opik", "PUT_api_v1_private_traces_feedback-scores.json")
    assert [r.present() for r in records] == [
        {
            "op": "upsert",
            "entity": "trace",
            "trace_id": Ref("opik", TRACE),
            "project": "capture-project",
            "name": "inline_score",
            "value": 0.5,
            "comment": "given at trace()",
            "source": "sdk",
        },
        {
            "op": "upsert",
            "entity": "trace",
            "trace_id": Ref("opik", TRACE),
            "project": "capture-project",
            "name": "accuracy",
            "value": 0.9,
            "label": "good",
            "comment": "looks right",
            "source": "sdk",
        },
        {
            "op": "upsert",
            "entity": "trace",
            "trace_id": Ref("opik", TRACE),
            "project": "other-project",
            "name": "relevance",
            "value": 1.0,
            "source": "sdk",
        },
    ]


def test_decoded_records_get_ids_and_an_origin():
    records = decode_capture("opik", "PUT_api_v1_private_traces_feedback-scores.json")
    assert [r.id for r in records] == ["rec-0", "rec-1", "rec-2"]
    assert records[0].origin == {"vendor": "opik", "endpoint": "traces_scores", "overwrites": True}


def test_trace_scores_batch_without_batching():
    [rec] = decode_capture("opik", "PUT_api_v1_private_traces_feedback-scores.2.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "trace",
        "trace_id": Ref("opik", "01a20c41-d251-78e2-bed2-f378c8b7cf9b"),
        "project": "capture-project-nobatch",
        "name": "nobatch_score",
        "value": 0.1,
        "source": "sdk",
    }


def test_span_scores_batch():
    [rec] = decode_capture("opik", "PUT_api_v1_private_spans_feedback-scores.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "span_id": Ref("opik", SPAN),
        "project": "capture-project",
        "name": "latency_ok",
        "value": 0.0,
        "source": "sdk",
    }


def test_thread_scores_batch():
    [rec] = decode_capture("opik", "PUT_api_v1_private_traces_threads_feedback-scores.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "thread",
        "thread_id": "capture-thread-1",
        "project": "capture-project",
        "name": "user_satisfaction",
        "value": 0.75,
        "source": "sdk",
    }
    assert rec.origin["endpoint"] == "threads_scores"


def test_single_trace_score_takes_the_id_from_the_path():
    [rec] = decode_capture("opik", "PUT_api_v1_private_traces_ID_feedback-scores.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "trace",
        "trace_id": Ref("opik", REST_TRACE),
        "name": "single_trace_score",
        "value": 0.25,
        "label": "cat",
        "comment": "single",
        "source": "sdk",
    }


def test_single_span_score():
    [rec] = decode_capture("opik", "PUT_api_v1_private_spans_ID_feedback-scores.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "span_id": Ref("opik", REST_SPAN),
        "name": "single_span_score",
        "value": -3.5,
        "source": "ui",
    }


def test_trace_score_delete():
    [rec] = decode_capture("opik", "POST_api_v1_private_traces_ID_feedback-scores_delete.json")
    assert rec.present() == {
        "op": "delete",
        "entity": "trace",
        "trace_id": Ref("opik", REST_TRACE),
        "name": "single_trace_score",
    }


def test_span_score_delete_keeps_the_author_filter():
    [rec] = decode_capture("opik", "POST_api_v1_private_spans_ID_feedback-scores_delete.json")
    assert rec.present() == {
        "op": "delete",
        "entity": "span",
        "span_id": Ref("opik", REST_SPAN),
        "name": "single_span_score",
        "author": "someone",
    }


def test_thread_scores_delete():
    [rec] = decode_capture("opik", "POST_api_v1_private_traces_threads_feedback-scores_delete.json")
    assert rec.present() == {
        "op": "delete",
        "entity": "thread",
        "thread_id": "capture-thread-1",
        "project": "capture-project-rest",
        "names": ["user_satisfaction"],
    }


def test_trace_and_span_comments():
    [trace] = decode_capture("opik", "POST_api_v1_private_traces_ID_comments.json")
    [span] = decode_capture("opik", "POST_api_v1_private_spans_ID_comments.json")
    assert trace.present() == {
        "op": "comment",
        "entity": "trace",
        "trace_id": Ref("opik", REST_TRACE),
        "comment": "a trace comment",
    }
    assert span.present() == {
        "op": "comment",
        "entity": "span",
        "span_id": Ref("opik", REST_SPAN),
        "comment": "a span comment",
    }


def test_manual_evaluation():
    [rec] = decode_capture("opik", "POST_api_v1_private_manual-evaluation_traces.json")
    assert rec.present() == {
        "op": "evaluate",
        "entity": "trace",
        "project": "01a20c41-d6e6-71b7-abbb-a95925745d35",
        "label": "trace",
        "entity_ids": [REST_TRACE],
        "rule_ids": ["01a20c41-d6e7-7523-8bf8-2c6e15714b3d"],
    }


def test_trace_and_span_writes_decode_to_spans_not_feedback():
    for name in (
        "POST_api_v1_private_traces_batch.json",
        "POST_api_v1_private_spans.json",
        "PATCH_api_v1_private_traces_ID.json",
    ):
        assert {r.op for r in decode_capture("opik", name)} == {"span"}, name


def violations(path: str, body, method: str = "PUT") -> list[Violation]:
    with pytest.raises(ValidationFailed) as info:
        decode("opik", method, path, body)
    return info.value.violations


def test_batch_item_violations_are_located_in_the_batch():
    got = violations(
        "/api/v1/private/traces/feedback-scores",
        {
            "scores": [
                {"id": TRACE, "name": "ok", "value": 1, "source": "sdk"},
                {"id": TRACE, "name": " ", "value": 2e9, "source": "sdk"},
            ]
        },
    )
    assert [(v.loc, v.kind) for v in got] == [
        (("body", "scores", 1, "name"), "min_length"),
        (("body", "scores", 1, "value"), "max"),
    ]


def test_batch_must_hold_1_to_1000_items():
    assert [(v.loc, v.kind) for v in violations("/v1/private/traces/feedback-scores", {"scores": []})] == [
        (("body", "scores"), "min_items")
    ]
    assert [(v.loc, v.kind) for v in violations("/v1/private/traces/feedback-scores", {})] == [
        (("body", "scores"), "missing")
    ]


def test_thread_score_needs_a_thread_id():
    got = violations(
        "/v1/private/traces/threads/feedback-scores",
        {"scores": [{"thread_id": "", "name": "n", "value": 1, "source": "sdk"}]},
    )
    assert [(v.loc, v.kind) for v in got] == [(("body", "scores", 0, "thread_id"), "min_length")]


def test_score_value_must_be_a_number_and_not_a_bool():
    got = violations(
        "/v1/private/spans/feedback-scores", {"scores": [{"id": SPAN, "name": "n", "value": True, "source": "sdk"}]}
    )
    assert [(v.loc, v.kind, v.input) for v in got] == [(("body", "scores", 0, "value"), "type", True)]


def test_score_source_must_be_an_opik_source():
    got = violations(f"/v1/private/traces/{TRACE}/feedback-scores", {"name": "n", "value": 1, "source": "api"})
    assert [(v.loc, v.kind, v.input) for v in got] == [(("body", "source"), "one_of", "api")]


def test_batch_item_id_must_be_a_uuid():
    got = violations(
        "/v1/private/traces/feedback-scores", {"scores": [{"id": "sp_1", "name": "n", "value": 1, "source": "sdk"}]}
    )
    assert [(v.loc, v.kind) for v in got] == [(("body", "scores", 0, "id"), "type")]


def test_body_must_be_an_object():
    assert [(v.loc, v.kind) for v in violations("/v1/private/traces/feedback-scores", [1, 2])] == [(("body",), "type")]
