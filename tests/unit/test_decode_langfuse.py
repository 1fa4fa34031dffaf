"""Every captured Langfuse score and ingestion request decodes to the expected canonical records:
SDK 5.x's score array, 4.x's score-create events, 2.x's mixed batch of traces, observations and
scores; a score naming nothing it is about is refused as Langfuse's zod refine words it."""

import pytest

from proxy.errors import ValidationFailed
from proxy.model import Assessment, Ref, Span

from .support import MAPPINGS, capture, decode, decode_capture

TRACE, OBS = Ref("langfuse", "7420155d50778037afc0bd9a5c923ab2"), Ref("langfuse", "9f4e0cd2b8ccf97e")


def by_name(records) -> dict:
    return {r.name: r for r in records if isinstance(r, Assessment)}


def test_the_sdk5_score_array_by_data_type():
    recs = by_name(decode_capture("langfuse", "POST_api_public_scores.json"))
    assert len(recs) == 13
    assert recs["relevance"].present() == {
        "op": "upsert",
        "entity": "span",
        "trace_id": TRACE,
        "span_id": OBS,
        "name": "relevance",
        "value": 0.9,
        "comment": "on topic",
        "metadata": {"judge": "gpt-4", "environment": "staging"},
        "source": "api",
        "created_at": "2026-12-06T13:24:00.556816Z",
        "vendor_id": "f2c35eebb109c419",
    }
    assert (recs["tone"].label, recs["tone"].value, recs["tone"].metadata["dataType"]) == ("friendly", 0, "CATEGORICAL")
    assert (recs["overall"].value, recs["overall"].label, recs["overall"].scale, recs["overall"].entity) == (
        1.0,
        "True",
        [0, 1],
        "trace",
    )
    assert (recs["hallucination"].value, recs["hallucination"].label) == (0.0, "False")
    assert (recs["user_feedback"].label, recs["user_feedback"].metadata["dataType"]) == ("great answer, thanks", "TEXT")
    assert (recs["sentiment"].label, recs["plain-number"].value) == ("positive", 3.0)
    assert (recs["output"].correction, recs["output"].value) == ("corrected text", None)
    assert (recs["session-rating"].entity, recs["session-rating"].thread_id, recs["session-rating"].value) == (
        "thread",
        "sess-1",
        4.5,
    )
    assert (recs["run-metric"].entity, recs["run-metric"].metadata["datasetRunId"], recs["run-metric"].trace_id) == (
        "run",
        "run-123",
        None,
    )
    assert recs["with-config"].metadata == {"environment": "prod-eu", "configId": "cfg-1"}


def test_the_sdk4_score_create_events_take_the_envelope_timestamp():
    recs = by_name(decode_capture("langfuse", "POST_api_public_ingestion.json"))
    assert recs["accuracy"].created_at == "2026-01-15T10:30:00Z" and recs["accuracy"].vendor_id == "my-score-id-1"
    assert (recs["tone"].label, recs["overall"].label) == ("friendly", "True")


def test_the_sdk2_batch_is_traces_observations_and_scores():
    recs = decode_capture("langfuse", "POST_api_public_ingestion.2.json")
    spans = [r for r in recs if isinstance(r, Span)]
    assert [(s.entity, s.entity_ref.value) for s in spans] == [
        ("trace", "trace-ext-001"),
        ("span", "span-ext-001"),
        ("span", "gen-ext-001"),
        ("span", "gen-ext-001"),
        ("span", "span-ext-001"),
        ("trace", "trace-ext-001"),
    ]
    gen = spans[2]
    assert (gen.type, gen.model, gen.parent_id, gen.usage) == (
        "llm",
        "gpt-x",
        Ref("langfuse", "span-ext-001"),
        {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
    )
    assert (spans[0].thread_id, spans[0].tags, spans[0].metadata) == ("sess-1", ["t1"], {"m": 1})
    scores = by_name(recs)
    assert scores["relevance"].span_id == Ref("langfuse", "gen-ext-001") and scores["tone"].vendor_id == "score-ext-001"


def test_a_score_about_nothing_is_refused_as_zod_words_it():
    with pytest.raises(ValidationFailed) as refused:
        decode("langfuse", "POST", "/api/public/scores", {"name": "x", "value": 1})
    reply = MAPPINGS["langfuse"].error(
        422, refused.value.code, refused.value.message, refused.value.violations, "scores"
    )
    assert reply.status == 400 and reply.body["error"][0]["code"] == "custom"
    assert reply.body["error"][0]["message"].startswith("Provide exactly one of the following: traceId")


def test_the_delete_capture_names_the_score():
    [rec] = decode_capture("langfuse", "DELETE_api_public_scores_my-score-id-1.json")
    assert (rec.op, rec.vendor_id) == ("remove", "my-score-id-1")
    assert capture("langfuse", "DELETE_api_public_scores_my-score-id-1.json")["response"]["status"] == 202
