"""The OTLP JSON mapping (opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding")
over protobuf's own proto3 JSON mapping, which gets every other rule right:

* trace and span ids are hex strings, case-insensitive (proto3 JSON says base64: protobuf's
  parser would read a hex id as base64 into garbage bytes without an error);
* keys are lowerCamelCase (written so; the parser also takes the proto field names);
* enums are integers (written so; the parser also takes their names);
* 64-bit integers are decimal strings when written, a string or a number when read;
* unknown fields are ignored.

`to_message` reads OTLP JSON into a message; `to_json` writes a message as OTLP JSON.
The only rule written by hand is the ids', here.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from ..errors import BadRequest

ID_BYTES = {"traceId": 16, "spanId": 8, "parentSpanId": 8}  # in spans, span links and log records
_HEX = re.compile(r"[0-9a-fA-F]*")


def to_message(data: Any, message_type: type[Message]) -> Message:
    """OTLP JSON (a parsed object) -> the message; BadRequest where it is not one."""
    if not isinstance(data, dict):
        raise BadRequest(f"an OTLP {message_type.DESCRIPTOR.name} is a JSON object, not {type(data).__name__}")
    message = message_type()
    try:
        json_format.ParseDict(_ids(data, _hex_to_base64), message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"not an OTLP {message_type.DESCRIPTOR.name}: {str(exc)[:300]}") from None
    return message


def to_json(message: Message) -> dict:
    """The message as OTLP JSON: hex ids, lowerCamelCase keys, integer enums, int64 as strings."""
    data = json_format.MessageToDict(message, use_integers_for_enums=True)
    return _ids(data, _base64_to_hex)


def _ids(node: Any, convert) -> Any:
    """A copy of `node` with every id field's value converted (`convert(key, value)`)."""
    if isinstance(node, dict):
        return {k: convert(k, v) if k in ID_BYTES and isinstance(v, str) else _ids(v, convert) for k, v in node.items()}
    if isinstance(node, list):
        return [_ids(v, convert) for v in node]
    return node


def _hex_to_base64(key: str, value: str) -> str:
    if not _HEX.fullmatch(value) or len(value) % 2:
        raise BadRequest(f"{key} {value[:64]!r} is not hex (OTLP JSON writes ids as hex, not base64)")
    if value and len(value) != 2 * ID_BYTES[key]:
        raise BadRequest(f"{key} {value[:64]!r} is {len(value) // 2} bytes; an OTLP {key} is {ID_BYTES[key]}")
    return base64.b64encode(bytes.fromhex(value)).decode()


def _base64_to_hex(key: str, value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{key} is not an id") from None
    if raw and len(raw) != ID_BYTES[key]:
        raise BadRequest(f"{key} {raw.hex()!r} is {len(raw)} bytes; an OTLP {key} is {ID_BYTES[key]}")
    return raw.hex()
