"""Vendor-neutral functions a mapping may call with `fn: core.<name>`."""

from __future__ import annotations

import json as _json
import time
from datetime import UTC, datetime
from typing import Any

from ..model import MISSING


def length(value: Any, src: dict) -> Any:
    return len(value) if isinstance(value, (list, dict, str)) else value


def json(value: Any, src: dict) -> Any:
    return _json.dumps(value, separators=(", ", ": "), default=str)


def text(value: Any, src: dict) -> Any:
    return value if isinstance(value, str) else _json.dumps(value, default=str)


def title(value: Any, src: dict) -> Any:
    return value.replace("_", " ").title() if isinstance(value, str) else value


def number(value: Any, src: dict) -> Any:
    """Text such as "0.5" or "4" to a number; anything else unchanged."""
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    return value


def ref_value(value: Any, src: dict) -> Any:
    return getattr(value, "value", value)


_LABELS = {
    "pass": 1,
    "passed": 1,
    "fail": 0,
    "failed": 0,
    "yes": 1,
    "no": 0,
    "true": 1,
    "false": 0,
    "approved": 1,
    "rejected": 0,
    "good": 1,
    "bad": 0,
    "correct": 1,
    "incorrect": 0,
}


def label_score(value: Any, src: dict) -> Any:
    """A categorical label as a number: "pass" -> 1, "0.8" -> 0.8; None when it has no number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        hit = _LABELS.get(value.strip().lower())
        if hit is not None:
            return hit
        n = number(value.strip(), src)
        return n if isinstance(n, (int, float)) else None
    return None


_USAGE_IN = {
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "total_tokens": "total_tokens",
}


def usage_in(value: Any, src: dict) -> Any:
    """A vendor's token counts as the canonical input_tokens / output_tokens / total_tokens."""
    if not isinstance(value, dict):
        return value
    out = {_USAGE_IN[k]: v for k, v in value.items() if k in _USAGE_IN and isinstance(v, (int, float))}
    if "total_tokens" not in out and ("input_tokens" in out or "output_tokens" in out):
        out["total_tokens"] = out.get("input_tokens", 0) + out.get("output_tokens", 0)
    return out or None


def usage_openai(value: Any, src: dict) -> Any:
    """Canonical token counts in the OpenAI words Opik uses."""
    if not isinstance(value, dict):
        return value
    names = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens", "total_tokens": "total_tokens"}
    return {names[k]: int(v) for k, v in value.items() if k in names} or None


def _absent(value: Any) -> bool:
    return value is None or value is MISSING


def as_text(value: Any, src: dict) -> Any:
    """Text as it is; any other JSON value as its JSON text; absent stays absent."""
    if _absent(value):
        return None
    return value if isinstance(value, str) else _json.dumps(value, default=str)


def now_iso(value: Any, src: dict) -> Any:
    """The value when there is one; else the request's time (`ctx.now_iso`), read once per
    request so every rule of one request sees the same instant."""
    if not _absent(value):
        return value
    ctx = src.get("ctx")
    if not isinstance(ctx, dict):
        return iso_ms(time.time_ns() // 1_000_000)
    if not ctx.get("now_iso"):
        ctx["now_iso"] = iso_ms(time.time_ns() // 1_000_000)
    return ctx["now_iso"]


_second: tuple[int, str] = (0, "1970-01-01T00:00:00")  # the last whole second written (iso_ms), and its text


def iso_ms(ms: float) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC with milliseconds and `Z`. A whole number of
    them (the clock's, per request) has its date and time of day written once per second:
    datetime's isoformat took ~7,000 instructions a call (bench/RESULTS.md)."""
    global _second
    if type(ms) is not int or ms < 0:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    second, milli = divmod(ms, 1000)
    if _second[0] != second:
        _second = (second, datetime.fromtimestamp(second, UTC).isoformat().removesuffix("+00:00"))
    return f"{_second[1]}.{milli:03d}Z"


def utc_datetime(iso: Any) -> datetime | None:
    """ISO 8601 (with `Z` or an offset; naive is UTC) as an aware datetime, or None."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def epoch_ms(iso: Any) -> float | None:
    """ISO 8601 (with `Z` or an offset; naive is UTC) to milliseconds since the epoch, or None."""
    when = utc_datetime(iso)
    return when.timestamp() * 1000 if when is not None else None
