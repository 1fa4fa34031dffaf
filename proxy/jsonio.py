"""JSON in and out, through orjson (the hot path's encoder; see bench/RESULTS.md)."""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str)


def sorted_key(value: Any) -> bytes:
    """`value` as JSON with its keys sorted: the same for equal values, to group or compare by."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def parse_or_none(body: bytes) -> Any:
    """A body as JSON, or None when it is empty or not JSON (an upstream's answer, a kept reply)."""
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None
