"""The OTLP signals the proxy reads and writes: their request and response messages."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ..errors import BadRequest

REQUESTS = {"traces": trace_service_pb2.ExportTraceServiceRequest, "logs": logs_service_pb2.ExportLogsServiceRequest}
RESPONSES = {"traces": trace_service_pb2.ExportTraceServiceResponse, "logs": logs_service_pb2.ExportLogsServiceResponse}
REJECTED = {"traces": "rejected_spans", "logs": "rejected_log_records"}  # the partial_success count's field


def request_type(signal: str):
    try:
        return REQUESTS[signal]
    except KeyError:
        raise BadRequest(f"OTLP signal {signal!r} is not taken; known: {', '.join(REQUESTS)}") from None
