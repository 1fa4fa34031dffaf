"""Every vendor's feedback to an OTLP collector (`vendor: otel`): the opik SDK's trace, span and
span score through {from: opik, primary: opik, mirrors: [otel]} arrive as OTLP spans and a
gen_ai.evaluation.result log record, decoded here with opentelemetry-proto itself (not the
proxy's reader), on the span's context; protobuf by default, OTLP JSON by option."""

from __future__ import annotations

import json

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import settled, wait_for

from .conftest import COLLECTOR_HEADERS

ROUTE = {"from": "opik", "primary": "opik", "mirrors": ["otel"]}


def log_and_score(client):
    trace = client.trace(name="chat", input={"q": "2+2?"})
    span = trace.span(name="llm-call", type="llm", input={"prompt": "2+2?"}, model="gpt-4o", provider="openai")
    span.end(output={"completion": "4"})
    trace.end(output={"a": "4"})
    client.log_spans_feedback_scores([{"id": span.id, "name": "accuracy", "value": 0.75, "reason": "close enough"}])
    assert client.flush() is True
    return trace, span


def attributes(kvs) -> dict:
    out = {}
    for kv in kvs:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind)
    return out


def test_an_opik_span_score_reaches_the_collector_as_an_evaluation_log_record(otel_proxy, opik_sdk, otel_upstream):
    url = otel_proxy([ROUTE])
    trace, span = log_and_score(opik_sdk(url, project="proj-o"))
    settled(url)

    exports = [r for r in otel_upstream.received if r.path == "/v1/traces"]
    assert exports and all(r.headers["content-type"] == "application/x-protobuf" for r in exports)
    sent = [
        s
        for r in exports
        for rs in ExportTraceServiceRequest.FromString(r.raw).resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
    ]
    by_name = {s.name: s for s in sent}
    assert set(by_name) == {"chat", "llm-call"}  # the Opik trace as its root span, the span under it
    root, llm = by_name["chat"], by_name["llm-call"]
    assert root.trace_id.hex() == trace.id.replace("-", "") == llm.trace_id.hex()  # an Opik trace id's 32 hex digits
    assert llm.parent_span_id == root.span_id and not root.parent_span_id
    assert attributes(llm.attributes)["gen_ai.request.model"] == "gpt-4o"

    [logs] = [r for r in otel_upstream.received if r.path == "/v1/logs"]
    assert logs.headers["content-type"] == "application/x-protobuf"
    assert logs.headers["authorization"] == COLLECTOR_HEADERS["Authorization"]
    request = ExportLogsServiceRequest.FromString(logs.raw)
    [resource_logs] = request.resource_logs
    assert attributes(resource_logs.resource.attributes) == {"service.name": "feedback-proxy"}
    [record] = resource_logs.scope_logs[0].log_records
    assert record.event_name == "gen_ai.evaluation.result"
    assert (record.trace_id, record.span_id) == (llm.trace_id, llm.span_id)  # the evaluated span's context
    assert attributes(record.attributes) == {
        "gen_ai.evaluation.name": "accuracy",
        "gen_ai.evaluation.score.value": 0.75,
        "gen_ai.evaluation.explanation": "close enough",
    }
    assert record.time_unix_nano > 0 and record.observed_time_unix_nano >= record.time_unix_nano


def test_otlp_json_by_option(otel_proxy, opik_sdk, otel_upstream):
    url = otel_proxy([ROUTE], options={"encoding": "json"})
    trace, span = log_and_score(opik_sdk(url, project="proj-j"))
    settled(url)

    logs = wait_for(lambda: [r for r in otel_upstream.received if r.path == "/v1/logs"], what="the log export")[0]
    assert logs.headers["content-type"] == "application/json"
    body = json.loads(logs.raw)
    record = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    assert record["eventName"] == "gen_ai.evaluation.result"
    assert record["traceId"] == trace.id.replace("-", "") and len(record["spanId"]) == 16  # hex, not base64
    assert isinstance(record["timeUnixNano"], str) and record["timeUnixNano"].isdigit()  # int64 as a decimal string
    assert {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": 0.75}} in record["attributes"]
    spans = [
        s
        for r in otel_upstream.received
        if r.path == "/v1/traces"
        for s in json.loads(r.raw)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    ]
    assert record["spanId"] == next(s["spanId"] for s in spans if s["name"] == "llm-call")
