"""What an OTLP/HTTP server answers (opentelemetry-proto docs/specification.md), in the
request's encoding: 200 with an Export<signal>ServiceResponse (empty, or with partial_success
when some items were rejected: the client must not retry those), or a google.rpc.Status body
with a failure's status."""

from __future__ import annotations

from google.rpc import status_pb2

from .. import jsonio
from .decode import CONTENT_TYPES
from .json_rules import to_json
from .signals import REJECTED, RESPONSES

# google.rpc.Code for an HTTP status (the mapping of google/rpc/code.proto)
_RPC_CODES = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    408: 4,
    409: 10,
    413: 8,
    415: 3,
    422: 3,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    502: 14,
    503: 14,
    504: 4,
}


def export_response(signal: str, encoding: str, rejected: int = 0, message: str = "") -> tuple[bytes, str]:
    """(body, Content-Type) of a success: empty, or partial_success with the count and why."""
    response = RESPONSES[signal]()
    if rejected or message:
        setattr(response.partial_success, REJECTED[signal], rejected)
        response.partial_success.error_message = message
    if encoding == "json":
        return jsonio.dumps(to_json(response)), CONTENT_TYPES["json"]
    return response.SerializeToString(), CONTENT_TYPES["protobuf"]


def rpc_status(http_status: int, message: str, encoding: str) -> tuple[bytes, str]:
    """(body, Content-Type) of a failure: google.rpc.Status {code, message}."""
    status = status_pb2.Status(code=rpc_code(http_status), message=message)
    if encoding == "json":
        return jsonio.dumps({"code": status.code, "message": status.message}), CONTENT_TYPES["json"]
    return status.SerializeToString(), CONTENT_TYPES["protobuf"]


def rpc_code(http_status: int) -> int:
    return _RPC_CODES.get(http_status, 2 if http_status >= 500 else 9)  # UNKNOWN; FAILED_PRECONDITION
