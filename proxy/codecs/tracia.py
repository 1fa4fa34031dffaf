"""Tracia: error bodies, span ids, evaluation ids."""

from __future__ import annotations

import re
from typing import Any

from .. import ids
from ..errors import Violation, describe
from ..model import Reply

_SPAN_ID = re.compile(r"^(sp|tr)_[0-9a-f]{16}$")
_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
          413: "INVALID_REQUEST", 422: "INVALID_REQUEST", 429: "RATE_LIMITED"}


def error_body(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    """Both SDK readers: nested `error` (the SDKs) and flat copies (the docs)."""
    if violations:
        status, message = 400, "; ".join(describe(v) for v in violations)
    code = _CODES.get(status, "PROVIDER_ERROR" if status >= 500 else "INVALID_REQUEST")
    return Reply(status, {"error": {"code": code, "message": message}, "code": code, "message": message})


def span_id(ref: Any, kind: str, ctx: dict) -> str:
    """A Tracia span id: kept when it already is one, else `sp_` + 16 hex derived from it."""
    if _SPAN_ID.match(ref.value):
        return ref.value
    return "sp_" + ids.derived_hex(ctx["secret"], f"{ref.vendor}:{ref.value}")


def trace_id(ref: Any, kind: str, ctx: dict) -> str:
    if _SPAN_ID.match(ref.value):
        return ref.value
    return "tr_" + ids.derived_hex(ctx["secret"], f"{ref.vendor}:{ref.value}")


def evaluation_id(value: Any, src: dict) -> str:
    """An `eval_` id for an answer the proxy synthesizes, stable for the record."""
    return "eval_" + str(value).replace("-", "")[-16:]
