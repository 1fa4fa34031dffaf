"""Plain OTLP JSON (the package's shape: attributes as a dict, ints as ints) -> an export
request's body in protobuf or OTLP JSON, through the message (so both say the same)."""

from __future__ import annotations

import math
from typing import Any

from .. import jsonio
from .decode import CONTENT_TYPES
from .json_rules import to_json, to_message
from .signals import request_type


def write_export(signal: str, request: dict, encoding: str = "protobuf") -> tuple[bytes, str]:
    """(body, Content-Type) of an export request of `signal` built from plain OTLP JSON."""
    message = to_message(wrapped(request), request_type(signal))
    if encoding == "json":
        return jsonio.dumps(to_json(message)), CONTENT_TYPES["json"]
    return message.SerializeToString(), CONTENT_TYPES["protobuf"]


def wrapped(node: Any) -> Any:
    """The inverse of decode.plain: every `attributes` dict (and a log record's `body`) as KeyValue
    lists and AnyValues; None values are left out."""
    if isinstance(node, list):
        return [wrapped(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "attributes" and isinstance(value, dict):
            out[key] = key_values(value)
        elif key == "body":  # a log record's: an AnyValue
            out[key] = any_value(value)
        else:
            out[key] = wrapped(value)
    return out


def key_values(attrs: dict) -> list[dict]:
    return [{"key": str(k), "value": any_value(v)} for k, v in attrs.items() if v is not None]


def any_value(value: Any) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {
            "doubleValue": value
            if math.isfinite(value)
            else str(value).replace("inf", "Infinity").replace("nan", "NaN")
        }
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": key_values(value)}}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value if v is not None]}}
    if value is None:
        return {}
    return {"stringValue": str(value)}
