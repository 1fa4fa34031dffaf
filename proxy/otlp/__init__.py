"""OTLP/HTTP, vendor-free: what any wire format carried over OpenTelemetry's protocol shares.

    request = read_export("logs", raw, "application/x-protobuf")  # or JSON; raw already inflated
    for rec in log_records(request): ...                            # spans(), span_events() likewise
    body, content_type = write_export("logs", request_dict, "protobuf")
    body, content_type = export_response("logs", "json", rejected=1, message="...")
    body, content_type = rpc_status(400, "...", "protobuf")

The shape every function speaks is OTLP JSON (lowerCamelCase keys, hex ids), with two
changes that make it plain data: 64-bit integers are ints, and attributes are a dict
`{key: value}` with each AnyValue unwrapped (string, bool, int, float, list, dict; bytes as
base64 text). Protobuf is read and written with `opentelemetry-proto`; JSON by the OTLP JSON
mapping rules (json_rules.py). Errors are RequestError: 400 (BadRequest) for a body that is
not an export request, 415 (UnsupportedMediaType) for a content type OTLP does not define.
"""

from .decode import encoding_of, read_export
from .encode import write_export
from .flatten import log_records, span_events, spans
from .replies import export_response, rpc_status

__all__ = [
    "encoding_of",
    "export_response",
    "log_records",
    "read_export",
    "rpc_status",
    "span_events",
    "spans",
    "write_export",
]
