"""What the proxy answers an OTLP/HTTP client (opentelemetry-proto docs/specification.md):
200 and an Export...ServiceResponse in the request's encoding, partial_success with the count
and why for what it rejected, 400 with a google.rpc.Status for a malformed request, 415 for a
content type OTLP does not define; gzip taken; never a 5xx. And what each answer left behind
at the upstreams: an accepted evaluation once, a rejected request nothing."""

from __future__ import annotations

import gzip

import httpx
import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from proxy import otlp
from tests.conftest import sample_wire, settled

from .conftest import APP_HEADERS, COLLECTOR_HEADERS

ROUTE = {"from": "otel", "mirrors": ["scale"]}  # no primary: every answer is the proxy's own
PB, JS = "application/x-protobuf", "application/json"
TRACE, SPAN = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"


def post(url: str, path: str, body: bytes, ctype: str | None, **headers) -> httpx.Response:
    sent = {**APP_HEADERS, **headers, **({"content-type": ctype} if ctype else {})}
    return httpx.post(url + path, content=body, headers=sent, timeout=10)


def logs(*records: dict) -> dict:
    return {
        "resourceLogs": [
            {"resource": {"attributes": {"service.name": "app"}}, "scopeLogs": [{"logRecords": list(records)}]}
        ]
    }


def evaluation(name: str = "accuracy", value=0.5, **ids) -> dict:
    return {
        "eventName": "gen_ai.evaluation.result",
        "timeUnixNano": 1796563902705000000,
        **ids,
        "attributes": {"gen_ai.evaluation.name": name, "gen_ai.evaluation.score.value": value},
    }


def test_protobuf_export_gets_an_empty_protobuf_response(otel_proxy, upstreams):
    url = otel_proxy([ROUTE])
    body = sample_wire("otel", "openlit_log_score__logs.4.json")[0]
    resp = post(url, "/v1/logs", body, PB)
    assert (resp.status_code, resp.headers["content-type"], resp.content) == (200, PB, b"")
    assert not ExportLogsServiceResponse.FromString(resp.content).HasField("partial_success")
    settled(url)
    [made] = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert (
        made["trace_id"],
        made["span_id"],
        made["metadata"]["name"],
        made["metadata"]["value"],
        made["comment"],
    ) == ("0d7974a99c9c1ea573f680375cc6cabc", "4af2c03cd9c6abf3", "late_feedback", 0.2, "arrived after the span ended")


def test_json_export_gets_an_empty_json_response(otel_proxy, upstreams):
    url = otel_proxy([ROUTE])
    resp = post(url, "/v1/traces", sample_wire("otel", "js_otlp_json__traces.json")[0], JS)
    assert (resp.status_code, resp.headers["content-type"], resp.json()) == (200, JS, {})
    settled(url)
    made = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert sorted((b["metadata"]["name"], b["metadata"]["value"]) for b in made) == [
        ("IntentResolution", 1),
        ("Relevance", 4),
    ]
    assert {(b["trace_id"], b["span_id"]) for b in made} == {("fff5fdfd76f7dc2a4b39478468ffe4aa", "9d0f26da9c6b6d23")}


def test_the_same_evaluation_as_a_log_record_and_a_span_event_is_one_assessment(otel_proxy, upstreams):
    url = otel_proxy([ROUTE])
    assert post(url, "/v1/logs", sample_wire("otel", "js_otlp_json__logs.json")[0], JS).status_code == 200
    assert post(url, "/v1/traces", sample_wire("otel", "js_otlp_json__traces.json")[0], JS).status_code == 200
    settled(url)
    made = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert sorted(b["metadata"]["name"] for b in made) == ["IntentResolution", "Relevance"]  # Relevance once, not twice


def test_gzip_is_taken(otel_proxy):
    url = otel_proxy([ROUTE])
    body = gzip.compress(sample_wire("otel", "splunk_util_genai_eval__logs.json")[0])
    resp = post(url, "/v1/logs", body, PB, **{"content-encoding": "gzip"})
    assert (resp.status_code, resp.content) == (200, b"")


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_what_cannot_be_placed_is_a_partial_success_in_the_requests_encoding(otel_proxy, upstreams, encoding):
    url = otel_proxy([ROUTE])
    request = logs(
        evaluation("kept", traceId=TRACE, spanId=SPAN),
        evaluation("nowhere"),
        evaluation("unscored", "very", traceId=TRACE, spanId=SPAN),
        {"eventName": "app.log", "body": "not an evaluation"},
    )
    body, ctype = otlp.write_export("logs", request, encoding)
    resp = post(url, "/v1/logs", body, ctype)
    assert resp.status_code == 200 and resp.headers["content-type"] == ctype
    if encoding == "protobuf":
        partial = ExportLogsServiceResponse.FromString(resp.content).partial_success
        rejected, message = partial.rejected_log_records, partial.error_message
    else:
        partial = resp.json()["partialSuccess"]
        rejected, message = int(partial["rejectedLogRecords"]), partial["errorMessage"]
    assert rejected == 2
    assert message == (
        "1 evaluation(s) name no span (traceId and spanId); gen_ai.response.id alone is not looked up; "
        "1 evaluation(s) whose gen_ai.evaluation.score.value is not a number"
    )
    settled(url)
    assert [b["metadata"]["name"] for b in upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")] == ["kept"]


def test_a_span_with_no_ids_is_rejected_the_others_taken(otel_proxy):
    url = otel_proxy([ROUTE])
    request = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {"traceId": TRACE, "spanId": SPAN, "name": "ok", "startTimeUnixNano": 1796563902705000000},
                            {"name": "no ids", "startTimeUnixNano": 1796563902705000000},
                        ]
                    }
                ]
            }
        ]
    }
    body, _ = otlp.write_export("traces", request, "protobuf")
    resp = post(url, "/v1/traces", body, PB)
    partial = ExportTraceServiceResponse.FromString(resp.content).partial_success
    assert (resp.status_code, partial.rejected_spans, partial.error_message) == (
        200,
        1,
        "1 span(s) with no traceId or spanId",
    )


@pytest.mark.parametrize(
    "body, ctype, reply_type",
    [
        (b"\x0a\xff\xff\xff\xff\x0f\x01", PB, PB),
        (b"\x0a\x05\x0a\x03\x12\x01", PB, PB),  # truncated
        (b'{"resourceLogs": [', JS, JS),
        (b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "not hex"}]}]}]}', JS, JS),
        (b'{"resourceLogs": {"not": "a list"}}', JS, JS),
        (b"[]", JS, JS),
    ],
)
def test_a_malformed_request_is_400_with_a_google_rpc_status(otel_proxy, upstreams, body, ctype, reply_type):
    url = otel_proxy([ROUTE])
    resp = post(url, "/v1/logs", body, ctype)
    assert resp.status_code == 400 and resp.headers["content-type"] == reply_type
    if reply_type == PB:
        status = Status.FromString(resp.content)
        assert status.code == 3 and "protobuf ExportLogsServiceRequest" in status.message
    else:
        assert set(resp.json()) == {"code", "message"} and resp.json()["code"] == 3 and resp.json()["message"]
    settled(url)
    assert upstreams["scale"].received == []


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", None, "application/grpc"])
def test_another_content_type_is_415(otel_proxy, ctype):
    url = otel_proxy([ROUTE])
    resp = post(url, "/v1/traces", b"{}", ctype)
    assert resp.status_code == 415 and resp.headers["content-type"] == JS
    assert resp.json()["code"] == 3 and "application/x-protobuf or application/json" in resp.json()["message"]


def test_an_exporters_retry_is_answered_as_before_and_sends_nothing_twice(otel_proxy, upstreams):
    url = otel_proxy([ROUTE])
    body, _ = otlp.write_export("logs", logs(evaluation("once", traceId=TRACE, spanId=SPAN)), "protobuf")
    first, again = post(url, "/v1/logs", body, PB), post(url, "/v1/logs", body, PB)
    assert (first.status_code, first.content) == (again.status_code, again.content) == (200, b"")
    settled(url)
    assert [b["metadata"]["name"] for b in upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")] == ["once"]


def test_an_unknown_route_or_key_is_refused_as_a_status(otel_proxy):
    url = otel_proxy([{"from": "opik", "primary": "opik"}])  # no route for OTel clients
    body, _ = otlp.write_export("logs", logs(evaluation(traceId=TRACE, spanId=SPAN)), "protobuf")
    resp = post(url, "/v1/logs", body, PB)
    assert resp.status_code == 404 and "no route for otel clients" in Status.FromString(resp.content).message
    resp = post(url, "/v1/metrics", b"", PB)
    assert resp.status_code == 404 and resp.headers["content-type"].startswith(JS)


def test_a_primary_that_fails_is_a_retryable_answer(otel_proxy, upstreams):
    url = otel_proxy([{"from": "otel", "primary": "opik"}])
    upstreams["opik"].fail_next(5, 503)
    body, _ = otlp.write_export("logs", logs(evaluation(traceId=TRACE, spanId=SPAN)), "protobuf")
    resp = post(url, "/v1/logs", body, PB)
    assert resp.status_code == 502 and Status.FromString(resp.content).code == 14  # UNAVAILABLE: the exporter retries


def test_one_evaluation_both_ways_at_once_is_still_one_assessment(otel_proxy, upstreams):
    """The traces and the logs exporter export on their own threads: the span event and the log
    record of one result may arrive together. Each pair here is sent at once, from two threads."""
    from concurrent.futures import ThreadPoolExecutor

    url = otel_proxy([ROUTE])
    names = [f"metric-{i}" for i in range(6)]
    pairs = []
    for name in names:
        event = {
            "name": "gen_ai.evaluation.result",
            "timeUnixNano": 1796563902705000001,
            "attributes": {"gen_ai.evaluation.name": name, "gen_ai.evaluation.score.value": 1.0},
        }
        spans = {
            "resourceSpans": [
                {
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": TRACE,
                                    "spanId": SPAN,
                                    "name": "chat",
                                    "events": [event],
                                    "startTimeUnixNano": 1796563902705000000,
                                }
                            ]
                        }
                    ]
                }
            ]
        }
        pairs.append(
            (
                otlp.write_export("traces", spans)[0],
                otlp.write_export("logs", logs(evaluation(name, 1.0, traceId=TRACE, spanId=SPAN)))[0],
            )
        )
    with ThreadPoolExecutor(2) as pool:
        for traces_body, logs_body in pairs:
            answers = list(
                pool.map(lambda args: post(url, *args, PB), [("/v1/traces", traces_body), ("/v1/logs", logs_body)])
            )
            assert [a.status_code for a in answers] == [200, 200]
    settled(url)
    made = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert sorted(b["metadata"]["name"] for b in made) == names  # each once


def test_an_otlp_primary_gets_the_export_as_sent_and_its_answer_goes_back(otel_proxy, upstreams, otel_upstream):
    url = otel_proxy([{"from": "otel", "primary": "otel", "mirrors": ["scale"]}])
    body = sample_wire("otel", "openlit_log_score__logs.4.json")[0]
    resp = post(url, "/v1/logs", body, PB)
    assert (resp.status_code, resp.headers["content-type"], resp.content) == (200, PB, b"")
    [sent] = otel_upstream.received
    assert sent.raw == body and sent.headers["authorization"] == COLLECTOR_HEADERS["Authorization"]
    settled(url)
    [made] = upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")
    assert made["metadata"]["name"] == "late_feedback"
    otel_upstream.fail_next(1, 400, {"code": 3, "message": "the collector says no"})
    resp = post(
        url, "/v1/logs", sample_wire("otel", "openlit_log_score__logs.3.json")[0], PB
    )  # another export (not a retry)
    assert (resp.status_code, resp.json()) == (400, {"code": 3, "message": "the collector says no"})  # its own answer
