"""Assessments to JSON and back, for backends that keep them on disk."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import jsonio
from ..model import ID_FIELDS, KINDS, Assessment, Ref, Span, replace


def dump(rec: Assessment | Span) -> bytes:
    out: dict[str, Any] = {"kind": "span"} if isinstance(rec, Span) else {}
    for name in type(rec).__dataclass_fields__:
        v = getattr(rec, name)
        if v is None or v == {} and name == "origin":
            continue
        out[name] = [v.vendor, v.value] if isinstance(v, Ref) else v
    return jsonio.dumps(out)


def fingerprint(rec: Assessment | Span) -> str:
    """What was delivered, in 16 hex: the same content gives the same print (when the
    proxy accepted it, and through which route, are bookkeeping, not content)."""
    plain = replace(rec, origin={})
    if isinstance(plain, Assessment):
        plain.created_at = None
    body = dump(plain)
    return hashlib.sha256(body).hexdigest()[:16]


def load(data: bytes | str) -> Assessment | Span:
    raw = jsonio.loads(data)
    for name in ID_FIELDS:
        if raw.get(name) is not None:
            raw[name] = Ref(*raw[name])
    return KINDS[raw.pop("kind", "assessment")](**raw)
