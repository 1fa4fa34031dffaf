"""Carrying fields a target vendor has no place for, inside one it has.

Into text (a Tracia `note`): the fields go in a last line the proxy can read
back, so a round trip through a poorer vendor loses nothing:

    looks right
    [feedback-proxy] {"name": "accuracy", "value": 0.9}

Into an object (Scale `metadata`): the fields are merged in as keys.
"""

from __future__ import annotations

import json
from typing import Any

MARK = "[feedback-proxy] "


def attach(base: Any, carried: dict[str, Any]) -> Any:
    if not carried:
        return base
    if isinstance(base, dict):
        return {**carried, **base}
    line = MARK + json.dumps(carried, separators=(", ", ": "), default=str)
    return f"{base}\n{line}" if base else line


def detach(text: Any) -> tuple[Any, dict[str, Any]]:
    """Split a carried trailer off a text; returns (text without it, fields)."""
    if not isinstance(text, str) or MARK not in text:
        return text, {}
    head, _, tail = text.rpartition(MARK)
    try:
        fields = json.loads(tail)
    except ValueError:
        return text, {}
    if not isinstance(fields, dict):
        return text, {}
    head = head[:-1] if head.endswith("\n") else head
    return (head or None), fields
