"""Errors, and how each becomes an answer in the client's own vendor shape.

ProxyError
├── ConfigError            the config or a mapping file is wrong (file, key, line)
├── RequestError           the client's fault: a 4xx in the client's vendor shape
│   ├── BadRequest         400: not JSON, broken gzip, unknown query
│   ├── Unauthorized       401: no client key, or one the proxy does not know
│   ├── Forbidden          403: a known client, on a route or vendor format it may not use
│   ├── NotFound           404: unknown path, unknown assessment id
│   ├── RequestTimeout     408: the body did not arrive in time
│   ├── PayloadTooLarge    413
│   ├── ValidationFailed   422: the body breaks the vendor's schema (carries Violations)
│   └── CheckFailed        a mapping check that declares its own status and message (Scale: 400, no trace or span id)
├── EncodeError            a record cannot be written in a target vendor's format
└── UpstreamError          502: the primary upstream failed or answered 5xx
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ProxyError(Exception):
    status = 500
    code = "INTERNAL"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(ProxyError):
    def __init__(self, message: str, *, file: str = "", key: str = "", line: int | None = None):
        where = file + (f":{line}" if line else "") if file else ""
        prefix = " ".join(p for p in (where, key and f"[{key}]") if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.file, self.key, self.line = file, key, line


class RequestError(ProxyError):
    status = 400
    code = "BAD_REQUEST"


class BadRequest(RequestError):
    pass


class Unauthorized(RequestError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(RequestError):
    status = 403
    code = "FORBIDDEN"


class RequestTimeout(RequestError):
    status = 408
    code = "REQUEST_TIMEOUT"


class NotFound(RequestError):
    status = 404
    code = "NOT_FOUND"


class PayloadTooLarge(RequestError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(RequestError):
    """A body in a Content-Type the endpoint's wire does not define (a mapping's `wire.request` says)."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken constraint in a request body.

    `loc` is the wire location (("body", "scores", 0, "value")); `kind` one of
    missing, type, min, max, min_length, max_length, pattern, one_of,
    min_items, max_items, unique; `limit` the bound or allowed set.
    """

    loc: tuple
    kind: str
    limit: Any = None
    input: Any = None
    expected: str = ""


class ValidationFailed(RequestError):
    status = 422
    code = "INVALID_REQUEST"

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("; ".join(describe(v) for v in violations))


class CheckFailed(RequestError):
    """A decode check whose mapping gives the status and message to answer with (spec.Check)."""

    code = "CHECK_FAILED"

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class EncodeError(ProxyError):
    """A record lacks what a target vendor requires (e.g. Scale needs a trace id).
    `missing` names the canonical field that was absent, when that is the reason."""

    status = 422
    code = "UNTRANSLATABLE"

    def __init__(self, message: str, missing: str | None = None):
        super().__init__(message)
        self.missing = missing


class Refusal(str):
    """Why a record cannot be written for a target; `missing` as in EncodeError."""

    missing: str | None = None

    @classmethod
    def of(cls, text: str, missing: str | None = None) -> Refusal:
        out = cls(text)
        out.missing = missing
        return out


@dataclass
class UpstreamError(ProxyError):
    message: str
    upstream: str = ""
    status_received: int | None = None
    body: Any = None
    retry_after: float | None = None
    headers: dict = field(default_factory=dict)
    unsent: bool = False  # the request never left (the connection was refused): it cannot have arrived
    status = 502
    code = "UPSTREAM_ERROR"

    def __post_init__(self):
        Exception.__init__(self, self.message)


def dotted(loc: tuple) -> str:
    """("body","scores",0,"value") -> "scores[0].value" (the body root dropped)."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(v: Violation) -> str:
    """A vendor-neutral sentence for a violation."""
    where = dotted(v.loc) or "body"
    return f"{where} {_TEXTS.get(v.kind, lambda v: v.kind)(v)}"


_TEXTS = {
    "missing": lambda v: "is required",
    "type": lambda v: f"must be {v.expected or 'of another type'}",
    "min": lambda v: f"must be greater than or equal to {v.limit}",
    "max": lambda v: f"must be less than or equal to {v.limit}",
    "min_length": lambda v: f"must have at least {v.limit} character(s)",
    "max_length": lambda v: f"must have at most {v.limit} character(s)",
    "pattern": lambda v: "has an invalid format",
    "one_of": lambda v: f"must be one of {', '.join(map(str, v.limit or ()))}",
    "min_items": lambda v: f"must have at least {v.limit} item(s)",
    "max_items": lambda v: f"must have at most {v.limit} item(s)",
    "unique": lambda v: "must not contain duplicates",
}
