"""Opik: Dropwizard/Jackson error bodies and UUIDv7 ids."""

from __future__ import annotations

import json
from typing import Any

from proxy import ids
from proxy.codecs import core
from proxy.errors import Violation
from proxy.model import MISSING, Reply

_JAVA_MAX = "999999999.999999999"


def error_body(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    """422 {"errors": [...]} for bean validation, 400 {"code","message"} for JSON it cannot bind."""
    if violations:
        unbindable = [v for v in violations if v.kind in ("type", "one_of")]
        if unbindable:
            v = unbindable[0]
            return Reply(
                400,
                {
                    "code": 400,
                    "message": f"Unable to process JSON. Cannot deserialize value of type `{_java_type(v)}`"
                    f" from {v.input!r} at {_java_path(v.loc) or 'body'}",
                },
            )
        return Reply(422, {"errors": [_java_message(v) for v in violations]})
    if status in (409, 422):  # Opik answers these as a list of errors, whatever their cause
        return Reply(status, {"errors": [message]})
    if status == 400 and message.startswith("body is not valid JSON"):
        message = "Unable to process JSON. " + message
    return Reply(status, {"code": status, "message": message})


def _min_items(v: Violation) -> int:
    return 0 if v.loc and str(v.loc[-1]).startswith("tags") else 1  # tags: @Size(max = 50); a batch: 1..1000


def _java_path(loc: tuple) -> str:
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc[1:] if loc and loc[0] == "path" else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            head, *rest = str(part).split("_")
            camel = head + "".join(w.title() for w in rest)
            out += f".{camel}" if out else camel
    return out


def _java_message(v: Violation) -> str:
    text = {
        "missing": "must not be null",
        "min_length": "must not be blank",
        "max": f"must be less than or equal to {_JAVA_MAX if v.limit == 1e9 else v.limit}",
        "min": f"must be greater than or equal to {'-' + _JAVA_MAX if v.limit == -1e9 else v.limit}",
        "min_items": f"size must be between {v.limit} and 1000",
        "max_items": f"size must be between {_min_items(v)} and {v.limit}",
        "max_length": f"size must be between 0 and {v.limit}",
        "pattern": 'must match "(?s)^\\s*(\\S.*\\S|\\S)\\s*$"',
        "unique": "must only contain unique elements",
    }.get(v.kind, v.kind)
    where = _java_path(v.loc)
    return f"{where} {text}" if where else text


_SCORE_SOURCES = ["ui", "sdk", "online_scoring"]


def _java_type(v: Violation) -> str:
    if v.kind == "one_of" and v.limit != _SCORE_SOURCES:  # a trace's source, a span's type: an enum of their own
        return f"enum {list(v.limit)}"
    return _JAVA_TYPES.get(v.expected, "com.comet.opik.api.ScoreSource")


_JAVA_TYPES = {
    "a number": "java.math.BigDecimal",
    "a string": "java.lang.String",
    "a UUID": "java.util.UUID",
    "an object": "java.lang.Object",
    "an array": "java.util.List",
    "an array of strings": "java.lang.String",
    "an array of UUIDs": "java.util.UUID",
    "a date-time": "java.time.Instant",
    "an integer": "java.lang.Integer",
    "an object, an array or a string": "com.comet.opik.api.JsonListString",
    "an array of objects": "com.comet.opik.api.JsonListString",
}


def uuid7_id(ref: Any, kind: str, ctx: dict) -> str:
    """Opik needs UUIDv7: kept when it already is one, else derived with the event time."""
    if ids.is_uuid7(ref.value):
        return ref.value.lower()
    return ids.derived_uuid7(ctx["secret"], f"{ref.vendor}:{ref.value}", ctx["now_ms"])


def new_uuid7(value: Any, src: dict) -> str:
    ctx = src.get("ctx") or {}
    return ids.derived_uuid7(ctx.get("secret", ""), f"new:{value}", ctx.get("now_ms", 0))


def given_or_new_id(value: Any, src: dict) -> Any:
    """A trace's or span's id; for one sent without (Opik's server makes a UUIDv7), a UUIDv7
    derived from the request and the item, its time part the item's start: so the record has a
    key, the answer's Location names it, and a mirror writes it as an entity of its own."""
    if value is not None and value is not MISSING:
        return value
    item, ctx = src.get("item"), src.get("ctx") or {}
    seed = f"{ctx.get('request_id', '')}:{json.dumps(item, sort_keys=True, default=str)}"
    start = core.epoch_ms(item.get("start_time")) if isinstance(item, dict) else None
    return ids.derived_uuid7("opik", seed, int(start or 0))
