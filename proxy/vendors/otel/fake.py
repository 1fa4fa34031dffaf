"""The fake OTLP collector (FakeVendor("otel"), proxy/testing.py runs it): it reads each export
as the proxy's own OTLP package does (protobuf or JSON, into plain OTLP JSON: hex ids,
attributes as a dict) so a test reads `received[i].body` field by field (`received[i].raw`:
the bytes, for a test that decodes them itself), and answers as a collector: 200 and an empty
Export...ServiceResponse in the request's encoding. It has no read API (no history).

    fake.vendor.received[0].body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy import otlp
from proxy.errors import RequestError

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


def history() -> None:
    """An OTLP collector serves nothing back."""
    return None


def answer(fake, r, url: str) -> Response:
    """`fake`: the FakeVendor; `r`: the Received request (its body as read_body read it)."""
    method, path, headers, body = r.method, r.path, r.headers, r.body
    signal = SIGNALS.get(path)
    if method != "POST" or signal is None:
        return Response(status_code=404)
    encoding = "protobuf" if "protobuf" in (headers.get("content-type") or "") else "json"
    if isinstance(body, dict) and "unreadable" in body:
        content, ctype = otlp.rpc_status(400, body["unreadable"], encoding)
        return Response(content, 400, media_type=ctype)
    content, ctype = otlp.export_response(signal, encoding)
    return Response(content, 200, media_type=ctype)
