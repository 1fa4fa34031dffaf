"""The official OpenTelemetry Python SDK with its OTLP/HTTP exporters (protobuf; logs and
traces) pointed at a live proxy with {from: otel, primary: opik, mirrors: [scale, tracia]}:
the exporters report success, Opik gets the spans and one score per evaluation, Scale and
Tracia the same on the same ids; an evaluation sent both as a span event and as a log record
is one."""

from __future__ import annotations

import time

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from proxy import ids
from tests.conftest import settled

from .conftest import APP_HEADERS

ROUTE = {"from": "otel", "primary": "opik", "mirrors": ["scale", "tracia"]}
EVENT = "gen_ai.evaluation.result"
SECRET = "feedback-proxy"  # the config's default id_secret


class Recording:
    """An exporter that keeps what the real one it wraps answered each export."""

    def __init__(self, exporter):
        self.exporter, self.results = exporter, []

    def export(self, batch):
        self.results.append(self.exporter.export(batch))
        return self.results[-1]

    def shutdown(self):
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@pytest.fixture
def app(otel_proxy):
    """An instrumented app's tracer and logger, exporting to the proxy as they emit."""
    made = []

    def start(url: str, compression=None):
        resource = Resource.create({"service.name": "eval-app"})
        spans = Recording(OTLPSpanExporter(endpoint=f"{url}/v1/traces", headers=APP_HEADERS, compression=compression))
        logs = Recording(OTLPLogExporter(endpoint=f"{url}/v1/logs", headers=APP_HEADERS, compression=compression))
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        made.append((tracer_provider, logger_provider))
        return tracer_provider.get_tracer("eval-app"), logger_provider.get_logger("eval-app.evals"), spans, logs

    yield start
    for tracer_provider, logger_provider in made:
        tracer_provider.shutdown()
        logger_provider.shutdown()


def evaluate(tracer, logger):
    """A chat span under a root span; Relevance judged inline (a span event) and reported as an
    event too (a log record on the span's context, as OpenLIT does); human feedback after the span
    ended (a log record only). -> (trace id, root span id, chat span id) as hex."""
    with tracer.start_as_current_span("agent") as root:
        with tracer.start_as_current_span(
            "chat gpt-4o",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.provider.name": "openai",
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.usage.output_tokens": 3,
            },
        ) as chat:
            relevance = {
                "gen_ai.evaluation.name": "Relevance",
                "gen_ai.evaluation.score.value": 4.0,
                "gen_ai.evaluation.score.label": "relevant",
                "gen_ai.evaluation.explanation": "on topic",
            }
            chat.add_event(EVENT, relevance)
            logger.emit(event_name=EVENT, attributes=relevance, context=trace_api.set_span_in_context(chat))
            chat_ctx = chat.get_span_context()
    late = trace_api.set_span_in_context(trace_api.NonRecordingSpan(chat_ctx))
    logger.emit(
        event_name=EVENT,
        context=late,
        timestamp=time.time_ns(),
        attributes={
            "gen_ai.evaluation.name": "helpfulness",
            "gen_ai.evaluation.score.value": 0.0,
            "gen_ai.evaluation.score.label": "fail",
            "gen_ai.evaluation.explanation": "missed the point",
            "reviewer": "ana",
        },
    )
    ctx = root.get_span_context()
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", f"{chat_ctx.span_id:016x}"


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_sdk_exports_reach_opik_and_scale_on_consistent_ids(otel_proxy, app, upstreams, compression):
    from opentelemetry.exporter.otlp.proto.http import Compression

    url = otel_proxy([ROUTE])
    tracer, logger, span_exports, log_exports = app(url, Compression.Gzip if compression else None)
    trace_hex, root_hex, chat_hex = evaluate(tracer, logger)

    assert span_exports.results == [SpanExportResult.SUCCESS] * 2  # the chat span, then the root
    assert log_exports.results == [LogRecordExportResult.SUCCESS] * 2

    opik = upstreams["opik"]
    [traces] = opik.bodies("POST", r"^/api/v1/private/traces/batch$")
    spans = [s for b in opik.bodies("POST", r"^/api/v1/private/spans/batch$") for s in b["spans"]]
    [trace] = traces["traces"]
    by_name = {s["name"]: s for s in spans}
    assert set(by_name) == {"agent", "chat gpt-4o"}
    opik_trace, opik_root, opik_chat = trace["id"], by_name["agent"]["id"], by_name["chat gpt-4o"]["id"]
    assert opik_trace == ids.derived_uuid7(SECRET, f"otel:{trace_hex}", ids.uuid7_ms(opik_trace))
    assert ids.is_uuid7(opik_root) and ids.is_uuid7(opik_chat)
    assert by_name["chat gpt-4o"]["trace_id"] == opik_trace and by_name["chat gpt-4o"]["parent_span_id"] == opik_root
    chat = by_name["chat gpt-4o"]
    assert (chat["type"], chat["model"], chat["provider"], chat["usage"]) == (
        "llm",
        "gpt-4o",
        "openai",
        {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    )

    scores = [s for b in opik.bodies("PUT", r"^/api/v1/private/spans/feedback-scores$") for s in b["scores"]]
    assert {(s["id"], s["name"], s["value"], s.get("category_name"), s.get("reason")) for s in scores} == {
        (opik_chat, "Relevance", 4.0, "relevant", "on topic"),
        (opik_chat, "helpfulness", 0.0, "fail", "missed the point"),
    }
    # what Opik holds: one score per evaluation on the chat span (the second Relevance was the same score again)
    assert sorted(opik.history.scores[("span", opik_chat)]) == ["Relevance", "helpfulness"]

    settled(url)
    scale = upstreams["scale"]
    scale_spans = {s["id"]: s for b in scale.bodies(None, r"^/v5/spans/batch$") for s in b["items"]}
    assert scale_spans[chat_hex]["trace_id"] == trace_hex and scale_spans[chat_hex]["parent_id"] == root_hex
    assert scale_spans[root_hex]["trace_id"] == trace_hex and scale_spans[root_hex].get("parent_id") is None
    made = scale.bodies("POST", r"^/v5/span-assessments$")
    assert sorted(b["metadata"]["name"] for b in made) == ["Relevance", "helpfulness"]  # one create per evaluation
    relevance = next(b for b in made if b["metadata"]["name"] == "Relevance")
    assert (relevance["trace_id"], relevance["span_id"], relevance["metadata"]["value"], relevance["comment"]) == (
        trace_hex,
        chat_hex,
        4.0,
        "on topic",
    )

    tracia = upstreams["tracia"]
    sp, tr = "sp_" + ids.derived_hex(SECRET, f"otel:{chat_hex}"), "tr_" + ids.derived_hex(SECRET, f"otel:{trace_hex}")
    created = {b["spanId"]: b for b in tracia.bodies("POST", r"^/api/v1/spans$")}
    assert created[sp]["traceId"] == tr and created[sp]["model"] == "gpt-4o"
    evaluations = [(r.path, r.body["evaluatorKey"]) for r in tracia.received if r.path.endswith("/evaluations")]
    assert sorted(evaluations) == [
        (f"/api/v1/spans/{sp}/evaluations", "Relevance"),
        (f"/api/v1/spans/{sp}/evaluations", "helpfulness"),
    ]  # one per evaluation
