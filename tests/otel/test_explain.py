"""The losses both ways, as `translate --explain` reports them (the mapping's `lost:` and
`ignored:`): what an OTel result cannot hold (no score id, author, source, scale, project),
and what of an OTLP export no other vendor reads."""

from __future__ import annotations

from proxy.translate import translate
from tests.conftest import sample

TRACE_SCORE = {
    "path": "/v1/private/traces/feedback-scores",
    "method": "PUT",
    "body": {
        "scores": [
            {
                "id": "01a2105d-41f8-77e4-83f2-4905344d3b48",
                "name": "accuracy",
                "value": 0.5,
                "source": "ui",
                "reason": "ok",
                "project_name": "p",
                "category_name": "good",
            }
        ]
    },
}


def rows(report) -> dict[str, tuple]:
    return {r["input"]: (r["status"], r.get("canonical"), r.get("output") or r.get("note")) for r in report}


def test_an_opik_score_into_otel_loses_its_source_and_project_and_says_why(mappings):
    done = translate(mappings, "opik", "otel", TRACE_SCORE)
    [request] = done.requests
    assert (request.method, request.path) == ("POST", "/v1/logs")
    [record] = request.body["logRecords"]
    assert record["traceId"] == "01a2105d41f877e483f24905344d3b48" and record["spanId"] == "83f24905344d3b48"
    got = rows(done.report)
    assert got["body.scores[*].source"] == (
        "lost",
        "source",
        "no attribute says whether a human, a judge or code scored",
    )
    assert got["body.scores[*].project_name"] == (
        "lost",
        "project",
        "a project is no attribute of an evaluation result",
    )
    assert got["body.scores[*].reason"] == ("kept", "comment", "logRecords[].attributes.gen_ai.evaluation.explanation")
    assert got["body.scores[*].category_name"] == (
        "kept",
        "label",
        "logRecords[].attributes.gen_ai.evaluation.score.label",
    )


def test_a_scale_assessment_into_otel_loses_its_id_and_author(mappings):
    create = {
        "path": "/v5/span-assessments",
        "method": "POST",
        "body": {"assessment_type": "rating", "trace_id": "t-1", "span_id": "s-1", "rating": 4, "comment": "fine"},
    }
    done = translate(mappings, "scale", "otel", create)
    [record] = done.requests[0].body["logRecords"]
    assert record["attributes"]["gen_ai"]["evaluation"]["score"]["value"] == 4 and len(record["spanId"]) == 16
    lost = mappings["otel"].endpoints["logs"].spec.encode[0].lost
    assert set(lost) >= {"vendor_id", "author", "source", "scale"}  # what the report names when a record carries them


def test_an_otlp_export_into_scale_says_what_no_vendor_reads(mappings):
    body = sample("otel", "js_otlp_json__logs.json")["body"]
    done = translate(mappings, "otel", "scale", {"path": "/v1/logs", "body": body})
    [request] = done.requests
    assert request.body["metadata"] == {
        "name": "Relevance",
        "value": 4,
        "label": "relevant",
        "gen_ai.response.id": "chatcmpl-123",
    }
    got = rows(done.report)
    assert got["body.evaluations[*].resource.service.name"] == (
        "dropped",
        None,
        "who sent it (service.name) names no field of an assessment",
    )
    assert got["body.evaluations[*].attributes.gen_ai.evaluation.explanation"][0:2] == ("kept", "comment")
    assert got["body.evaluations[*].metadata.gen_ai.response.id"][0:2] == ("kept", "metadata")
