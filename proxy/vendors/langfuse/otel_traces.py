"""Langfuse's OTLP trace route (POST /api/public/otel/v1/traces), read with the shared OTLP
decoding: the attributes its SDK writes lifted to the fields of an observation."""

from __future__ import annotations

import json
from typing import Any

from proxy import ingress, otlp
from proxy.codecs import core
from proxy.errors import BadRequest, RequestError


def read_otel_traces(raw: bytes, headers: dict, limits) -> dict:
    """An OTLP trace export (protobuf or JSON; inflated by the ingress) as {"spans": [...]}: each
    span with the attributes the Langfuse SDK writes lifted to plain keys (JSON texts parsed),
    its times ISO 8601, and every other attribute kept as its metadata."""
    try:
        request = otlp.read_export("traces", raw, headers.get("content-type"), limits)
    except RequestError as exc:
        raise BadRequest(f"Failed to parse OTel Trace: {exc.message}") from None
    if limits is not None:
        ingress.check_shape(request, limits.max_depth + 8, limits.max_items, limits.max_string_length)
    return {"spans": [_otel_span(s) for s in otlp.spans(request) if s.get("traceId") and s.get("spanId")]}


_LIFTED = {
    "langfuse.observation.type": "type",
    "langfuse.observation.input": "input",
    "langfuse.observation.output": "output",
    "langfuse.observation.model.name": "model",
    "langfuse.observation.usage_details": "usage",
    "langfuse.observation.level": "level",
    "langfuse.observation.status_message": "statusMessage",
    "langfuse.observation.metadata": "observationMetadata",
    "langfuse.trace.name": "traceName",
    "langfuse.trace.tags": "tags",
    "langfuse.trace.input": "traceInput",
    "langfuse.trace.output": "traceOutput",
    "session.id": "sessionId",
    "langfuse.session.id": "sessionId",
    "user.id": "userId",
    "langfuse.user.id": "userId",
    "langfuse.environment": "environment",
    "gen_ai.request.model": "model",
}
_JSON_TEXT = ("input", "output", "usage", "observationMetadata", "traceInput", "traceOutput")


def _otel_span(span: dict) -> dict:
    attrs = dict(span.get("attributes") or {})
    out: dict[str, Any] = {k: span.get(k) for k in ("traceId", "spanId", "parentSpanId", "name") if span.get(k)}
    for key, name in _LIFTED.items():
        if key in attrs and name not in out:
            value = attrs.pop(key)
            out[name] = _json_or_text(value) if name in _JSON_TEXT else value
        attrs.pop(key, None)
    for key in ("startTimeUnixNano", "endTimeUnixNano"):
        if isinstance(span.get(key), int) and span[key] > 0:
            out[key[: -len("UnixNano")]] = core.iso_ms(span[key] / 1_000_000)
    status = span.get("status") or {}
    if status.get("code") == 2:
        out["level"], out["statusMessage"] = "ERROR", out.get("statusMessage") or status.get("message")
    rest = {k: v for k, v in attrs.items() if not k.startswith("langfuse.internal.")}
    meta = out.pop("observationMetadata", None)
    out["metadata"] = {**rest, **(meta if isinstance(meta, dict) else {})} or None
    return out


def _json_or_text(value: Any) -> Any:
    """An object or array the SDK wrote as JSON text, parsed; any other text as it is (the SDK writes a
    string output as the string itself: "4" stays the text "4")."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
