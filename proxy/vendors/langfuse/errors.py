"""Langfuse's error bodies: zod's issues (the public REST routes), its BaseError classes, the
ingestion route's own, the OTLP route's {"error"} (codec.py's `error:` functions)."""

from __future__ import annotations

from typing import Any

from proxy.errors import Violation
from proxy.model import Reply

TARGET_RULE = (
    "Provide exactly one of the following: traceId (with optional observationId), sessionId or "
    "datasetRunId. ObservationId requires traceId."
)
_CLASSES = {
    400: "InvalidRequestError",
    403: "ForbiddenError",
    404: "LangfuseNotFoundError",
    405: "MethodNotAllowedError",
    409: "LangfuseConflictError",
    413: "InvalidRequestError",
    408: "InvalidRequestError",
    422: "InvalidRequestError",
    502: "InternalServerError",
    503: "ServiceUnavailableError",
}


def error_body(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    """The public REST routes (withMiddlewares): zod issues as 400 {"message": "Invalid request
    data", "error": [...]}, auth as {"message"}, a BaseError as {"message", "error": <class>}."""
    if violations or code == "CHECK_FAILED" and status == 400:
        issues = [zod_issue(v) for v in violations] or [{"code": "custom", "message": message, "path": []}]
        return Reply(400, {"message": "Invalid request data", "error": issues})
    if status in (401, 403):  # auth: {"message"} alone, in the proxy's words
        return Reply(status, {"message": message})
    return Reply(status, {"message": message, "error": _CLASSES.get(status, "InternalServerError")})


def ingestion_error(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    """The ingestion route's own handler: {"message": "Invalid request data", "errors": [texts]}
    for a malformed envelope; {"error": <class>, "message"} for a BaseError; auth as elsewhere."""
    if violations or status in (400, 422):
        texts = [zod_issue(v)["message"] for v in violations] or [message]
        return Reply(400, {"message": "Invalid request data", "errors": texts})
    if status in (401, 403):
        return error_body(status, code, message, violations)
    return Reply(status, {"error": _CLASSES.get(status, "InternalServerError"), "message": message})


_ZOD = {
    "missing": ("invalid_type", "Required"),
    "type": ("invalid_type", "Expected {expected}, received {received}"),
    "min_length": ("too_small", "String must contain at least {limit} character(s)"),
    "max_length": ("too_big", "String must contain at most {limit} character(s)"),
    "min": ("too_small", "Number must be greater than or equal to {limit}"),
    "max": ("too_big", "Number must be less than or equal to {limit}"),
    "one_of": ("invalid_enum_value", "Invalid enum value. Expected {options}, received '{input}'"),
    "min_items": ("too_small", "Array must contain at least {limit} element(s)"),
    "max_items": ("too_big", "Array must contain at most {limit} element(s)"),
}
_JS_TYPES = {
    "a string": "string",
    "a number": "number",
    "an integer": "number",
    "an object": "object",
    "a JSON object": "object",
    "an array": "array",
    "a boolean": "boolean",
}


def zod_issue(v: Violation) -> dict:
    path = [p for p in v.loc if p != "body"] if v.loc and v.loc[0] == "body" else list(v.loc[1:])
    if v.kind == "missing" and path and path[-1] in ("traceId", "sessionId", "datasetRunId"):
        return {"code": "custom", "message": TARGET_RULE, "path": path[:-1]}
    code, text = _ZOD.get(v.kind, ("custom", v.kind))
    received = _js_type(v.input)
    options = " | ".join(f"'{o}'" for o in (v.limit or ())) if v.kind == "one_of" else ""
    text = text.format(
        limit=v.limit, expected=_JS_TYPES.get(v.expected, v.expected), received=received, options=options, input=v.input
    )
    out: dict[str, Any] = {"code": code, "message": text, "path": path}
    if v.kind in ("missing", "type"):
        out.update(
            expected=_JS_TYPES.get(v.expected, "string"), received="undefined" if v.kind == "missing" else received
        )
    return out


def _js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def issue_text(violations: list[Violation]) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in issue['path']) or 'body'}: {issue['message']}"
        for issue in (zod_issue(v) for v in violations)
    )


def otel_error(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    """The OTLP route's own: {"error": <text>} (auth as elsewhere)."""
    if status in (401, 403):
        return error_body(status, code, message, violations)
    text = "; ".join(zod_issue(v)["message"] for v in violations) if violations else message
    return Reply(400 if status == 422 else status, {"error": text})
