"""Logs: one JSON object a line, or a human line on a terminal; every line says which
request (or which delivery) it belongs to.

    logs.configure(level="info", fmt="auto")      # once: serve, from_env

A JSON line holds `ts`, `level`, `logger`, `msg`, then what the line knows: its own
`extra=` fields (`event`, `upstream`, `status`, `attempt`, `duration_ms`, ...) over
those of the request or delivery the code runs for (proxy/observe/context.py):
`request_id`, `client_request_id`, `method`, `path`, `vendor`, `endpoint`, `status`,
`duration_ms`; a worker's lines `upstream`, `request_ids`, `attempt`. So `grep <id>`
finds a request's ingress line, its primary's attempt and every mirror attempt.
Secrets are cut from every field (proxy/auth.py), not only from the message.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from . import auth, jsonio
from .observe import context

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}  # uvicorn's ANSI copy
_handler: logging.Handler | None = None


def line_fields(record: logging.LogRecord) -> dict:
    """The context's fields, then the record's own `extra=` ones (which win); `_`-names stay out."""
    out = context.fields()
    for key, value in record.__dict__.items():
        if key not in _STANDARD and not key.startswith("_"):
            out[key] = value
    return out


def _ts(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": _ts(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(line_fields(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return redacted(jsonio.dumps(line).decode())


_escaped: tuple[frozenset, list[str]] = (frozenset(), [])


def redacted(text: str) -> str:
    """Secrets cut from a serialized line: one pass over the text rather than a walk of every field,
    also in the JSON-escaped form of a secret that has a quote, a backslash or a control character."""
    global _escaped
    text = auth.REDACTOR.text(text)
    if _escaped[0] != auth.REDACTOR.secrets:
        _escaped = (
            frozenset(auth.REDACTOR.secrets),
            [e for e in (json.dumps(s)[1:-1] for s in auth.REDACTOR.secrets) if e not in auth.REDACTOR.secrets],
        )
    for secret in _escaped[1]:
        text = text.replace(secret, auth.REDACTOR.MASK)
    return text


class HumanFormatter(logging.Formatter):
    """`12:00:01.234 INFO  proxy.upstream  scale PUT /v5/... -> 204 (3.1 ms)  request_id=... attempt=1`"""

    SHOWN = ("request_id", "client_request_id", "upstream", "request_ids", "attempt", "status", "duration_ms", "error")

    def format(self, record: logging.LogRecord) -> str:
        fields = line_fields(record)
        tail = " ".join(f"{k}={_short(fields[k])}" for k in self.SHOWN if fields.get(k) not in (None, ""))
        ts = time.strftime("%H:%M:%S", time.localtime(record.created)) + f".{int(record.created % 1 * 1000):03d}"
        text = f"{ts} {record.levelname:<7} {record.name:<15} {record.getMessage()}" + (f"  {tail}" if tail else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return auth.REDACTOR.text(text)


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value[:5])) + (f",+{len(value) - 5}" if len(value) > 5 else "")
    return str(value)


def formatter_for(fmt: str, stream) -> logging.Formatter:
    if fmt == "auto":
        fmt = "human" if _isatty(stream) else "json"
    return HumanFormatter() if fmt == "human" else JsonFormatter()


def configure(level: str = "info", fmt: str = "auto", stream=None) -> logging.Handler:
    """Send the root logger's lines to `stream` (stderr) at `level`, replacing what an earlier call set up."""
    global _handler
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(fmt, stream))
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(level.upper())
    _handler = handler
    return handler


def configure_from(cfg, stream=None) -> logging.Handler:
    from .opsconfig import log_format, log_level

    return configure(log_level(cfg), log_format(cfg), stream)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
