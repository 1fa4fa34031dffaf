"""Scale EGP (SGP v5): FastAPI/pydantic error bodies and free-string ids."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from proxy import ids
from proxy.errors import Violation
from proxy.model import MISSING, Reply

_PYDANTIC = {
    "missing": ("missing", "Field required"),
    "min": ("greater_than_equal", "Input should be greater than or equal to {limit}"),
    "max": ("less_than_equal", "Input should be less than or equal to {limit}"),
    "min_length": ("string_too_short", "String should have at least {limit} character"),
    "max_length": ("string_too_long", "String should have at most {limit} characters"),
    "one_of": ("literal_error", "Input should be {options}"),
    "pattern": ("string_pattern_mismatch", "String should match pattern '{limit}'"),
    "min_items": ("too_short", "List should have at least {limit} item after validation"),
    "max_items": ("too_long", "List should have at most {limit} items after validation"),
}
_TYPES = {
    "a string": "string_type",
    "a number": "float_type",
    "an integer": "int_type",
    "an object": "dict_type",
    "an array": "list_type",
    "a boolean": "bool_type",
    "a JSON object": "model_attributes_type",
}
_TYPE_MSG = {
    "string_type": "Input should be a valid string",
    "float_type": "Input should be a valid number",
    "int_type": "Input should be a valid integer",
    "dict_type": "Input should be a valid dictionary",
    "int_from_float": "Input should be a valid integer, got a number with a fractional part",
    "list_type": "Input should be a valid list",
    "bool_type": "Input should be a valid boolean",
    "model_attributes_type": "Input should be a valid dictionary or object to extract fields from",
}


def error_body(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    if violations:
        return Reply(422, {"detail": [_detail(v) for v in violations]})
    return Reply(status, {"detail": message})


def _detail(v: Violation) -> dict:
    if v.kind == "type":
        kind = _TYPES.get(v.expected, "value_error")
        if kind == "int_type" and isinstance(v.input, float):
            kind = "int_from_float"
        msg = _TYPE_MSG.get(kind, f"Input should be {v.expected}")
    else:
        kind, msg = _PYDANTIC.get(v.kind, ("value_error", v.kind))
        options = " or ".join(repr(o) for o in (v.limit or ())) if v.kind == "one_of" else ""
        msg = msg.format(limit=v.limit, options=options)
    out: dict[str, Any] = {"type": kind, "loc": list(v.loc), "msg": msg}
    if v.kind != "missing":
        out["input"] = v.input
    if v.kind in ("min", "max"):
        out["ctx"] = {"ge" if v.kind == "min" else "le": v.limit}
    return out


def free_id(ref: Any, kind: str, ctx: dict) -> str:
    """Scale takes foreign ids as they are, up to 256 characters."""
    if len(ref.value) <= 256:
        return ref.value
    return ids.derived_hex(ctx["secret"], f"{ref.vendor}:{ref.value}", 32)


def rubric_text(value: Any, src: dict) -> Any:
    """Scale rubrics are Dict[str, str]."""
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}
    return value


# --- spans ------------------------------------------------------------------------


def new_span_id(value: Any, src: dict) -> Any:
    """A span's id; for one sent without (Scale's server would make a UUID) a UUID derived
    from the request and the item, so a record key exists and the answer can name it."""
    if value is not None and value is not MISSING:
        return value
    ctx = src.get("ctx") or {}
    seed = f"{ctx.get('request_id', '')}:{json.dumps(src.get('item'), sort_keys=True, default=str)}"
    return str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))


def _object(key: str, value: Any) -> Any:
    if value is None or value is MISSING:
        return None
    return value if isinstance(value, dict) else {key: value}


def input_object(value: Any, src: dict) -> Any:
    """Scale span input is an object: any other JSON value goes as `{"input": value}`."""
    return _object("input", value)


def metadata_object(value: Any, src: dict) -> Any:
    """Scale span metadata is an object: any other JSON value (an Opik list or text) goes as `{"metadata": value}`."""
    return _object("metadata", value)


def output_object(value: Any, src: dict) -> Any:
    """Scale span output is an object: any other JSON value (a Tracia text) goes as `{"output": value}`."""
    return _object("output", value)


_STATUS = {"ok": "SUCCESS", "error": "ERROR", "canceled": "CANCELED"}


def span_status(value: Any, src: dict) -> Any:
    """The canonical status as Scale's; a span that ended with no error reported is SUCCESS
    (Opik marks only failures), one that has not ended has none."""
    if isinstance(value, str) and value in _STATUS:
        return _STATUS[value]
    rec = src.get("rec")
    return "SUCCESS" if getattr(rec, "end_time", None) else None


def unless_root_span(value: Any, src: dict) -> Any:
    """For the back-fill (history.yaml): Scale attaches an assessment written
    with no span_id to the trace's root span, and reads it back naming that span. Read at
    the root span (`item`), its span id is left out again: it was written about the trace."""
    item = src.get("item")
    return None if isinstance(item, dict) and value == item.get("id") else value
