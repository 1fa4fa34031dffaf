"""Assessments to JSON and back, for backends that keep them on disk."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import jsonio
from ..model import ID_FIELDS, KINDS, Assessment, Ref, Span


def dump(rec: Assessment | Span) -> bytes:
    return jsonio.dumps(_fields(rec, ()))


def fingerprint(rec: Assessment | Span) -> str:
    """What was delivered, in 16 hex: the same content gives the same print (when the
    proxy accepted it, and through which route, are bookkeeping, not content). The text
    hashed is dump's without those fields, so prints kept by earlier versions still match."""
    return hashlib.sha256(jsonio.dumps(_fields(rec, _BOOKKEEPING[type(rec)]))).hexdigest()[:16]


_BOOKKEEPING = {Assessment: ("origin", "created_at"), Span: ("origin",)}


def _fields(rec: Assessment | Span, skip: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "span"} if isinstance(rec, Span) else {}
    for name in type(rec).__dataclass_fields__:
        v = getattr(rec, name)
        if v is None or name in skip or v == {} and name == "origin":
            continue
        out[name] = [v.vendor, v.value] if isinstance(v, Ref) else v
    return out


def load(data: bytes | str) -> Assessment | Span:
    raw = jsonio.loads(data)
    for name in ID_FIELDS:
        if raw.get(name) is not None:
            raw[name] = Ref(*raw[name])
    return KINDS[raw.pop("kind", "assessment")](**raw)
