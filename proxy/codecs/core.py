"""Vendor-neutral functions a mapping may call with `fn: core.<name>`."""

from __future__ import annotations

import json as _json
from typing import Any


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


_LABELS = {"pass": 1, "passed": 1, "fail": 0, "failed": 0, "yes": 1, "no": 0, "true": 1, "false": 0,
           "approved": 1, "rejected": 0, "good": 1, "bad": 0, "correct": 1, "incorrect": 0}


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
