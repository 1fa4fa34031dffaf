"""The fake OTLP collector's vendor part (FakeVendor("otel") in proxy/testing.py): it reads
each export as the proxy's own OTLP package does (protobuf or JSON, into plain OTLP JSON:
hex ids, attributes as a dict) so a test reads `received[i].body` field by field, and
answers as a collector: 200 and an empty Export...ServiceResponse in the request's encoding.

    fake.vendor.received[0].body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    log_records(fake.vendor)   # every log record received, flattened (proxy.otlp.log_records)
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from . import otlp
from .errors import RequestError

SIGNALS = {"/v1/traces": "traces", "/v1/logs": "logs"}


def read_body(raw: bytes, path: str, headers: dict[str, str]) -> Any:
    """An export as plain OTLP JSON; a body it cannot read is kept as {"unreadable": why}."""
    signal = SIGNALS.get(path)
    if signal is None:
        return None
    try:
        return otlp.read_export(signal, raw, headers.get("content-type"))
    except RequestError as exc:
        return {"unreadable": exc.message}


def answer(method: str, path: str, headers: dict[str, str], body: Any) -> Response:
    signal = SIGNALS.get(path)
    if method != "POST" or signal is None:
        return Response(status_code=404)
    encoding = "protobuf" if "protobuf" in (headers.get("content-type") or "") else "json"
    if isinstance(body, dict) and "unreadable" in body:
        content, ctype = otlp.rpc_status(400, body["unreadable"], encoding)
        return Response(content, 400, media_type=ctype)
    content, ctype = otlp.export_response(signal, encoding)
    return Response(content, 200, media_type=ctype)


def log_records(vendor) -> list[dict]:
    """Every log record the fake received, in order, flattened with its resource and scope."""
    return [rec for r in vendor.received if r.path == "/v1/logs" and isinstance(r.body, dict)
            for rec in otlp.log_records(r.body)]


def spans(vendor) -> list[dict]:
    """Every span the fake received, in order, flattened with its resource and scope."""
    return [span for r in vendor.received if r.path == "/v1/traces" and isinstance(r.body, dict)
            for span in otlp.spans(r.body)]
