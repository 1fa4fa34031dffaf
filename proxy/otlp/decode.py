"""An OTLP/HTTP export request's body -> OTLP JSON as plain data (see the package's docstring)."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError

from .. import ingress
from ..errors import BadRequest, UnsupportedMediaType
from .json_rules import to_json, to_message
from .signals import request_type

ENCODINGS = {"application/x-protobuf": "protobuf", "application/json": "json"}
CONTENT_TYPES = {name: ctype for ctype, name in ENCODINGS.items()}


def encoding_of(content_type: str | None) -> str:
    """ "protobuf" or "json" from a Content-Type (its parameters aside); 415 for any other."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in ENCODINGS:
        shown = media or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown} is not OTLP/HTTP: send application/x-protobuf or application/json"
        )
    return ENCODINGS[media]


def read_export(signal: str, raw: bytes, content_type: str | None, limits=None) -> dict:
    """The export request of `signal` ("traces", "logs") in `raw` (already inflated), as plain
    data; `limits` (the config's) bound a JSON body as any other. An empty body is an empty
    request (what an exporter with nothing to send may send)."""
    encoding = encoding_of(content_type)
    message_type = request_type(signal)
    if encoding == "json":
        parsed = ingress.parse_json(raw, limits) if raw.strip() else {}
        message = to_message(parsed, message_type)
    else:
        message = message_type()
        try:
            message.ParseFromString(raw)
        except (DecodeError, RecursionError, ValueError) as exc:
            raise BadRequest(f"body is not a protobuf {message_type.DESCRIPTOR.name}: {exc}") from None
    return plain(to_json(message))


_NANOS = ("UnixNano",)


def plain(node: Any) -> Any:
    """OTLP JSON with its int64 strings as ints and every `attributes` list (and a log record's
    `body`) unwrapped into plain values."""
    if isinstance(node, list):
        return [plain(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "attributes" and isinstance(value, list):
            out[key] = attributes(value)
        elif key == "body" and isinstance(value, dict):
            out[key] = any_value(value)
        elif key.endswith(_NANOS) and isinstance(value, str):
            out[key] = int(value)
        else:
            out[key] = plain(value)
    return out


def attributes(pairs: list) -> dict[str, Any]:
    """[{"key": k, "value": AnyValue}] -> {k: value}; a repeated key keeps its last value."""
    return {kv.get("key", ""): any_value(kv.get("value") or {}) for kv in pairs if isinstance(kv, dict)}


def any_value(value: dict) -> Any:
    """An AnyValue (as protobuf's JSON writes it) as a plain value; an empty one is None."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])  # "NaN", "Infinity" as protobuf writes them
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]  # base64, as OTLP JSON writes bytes
    return None
