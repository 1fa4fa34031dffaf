"""Assessments to JSON and back, for backends that keep them on disk."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import jsonio
from ..model import ID_FIELDS, KINDS, Assessment, Ref, Span


def dump(rec: Assessment | Span) -> bytes:
    return jsonio.dumps(_fields(rec, _KEPT[type(rec)]))


def fingerprint(rec: Assessment | Span) -> str:
    """What was delivered, in 16 hex: the same content gives the same print (when the
    proxy accepted it, and through which route, are bookkeeping, not content). The text
    hashed is dump's without those fields, so prints kept by earlier versions still match."""
    return hashlib.sha256(jsonio.dumps(_fields(rec, _PRINTED[type(rec)]))).hexdigest()[:16]


_BOOKKEEPING = {Assessment: ("origin", "created_at"), Span: ("origin",)}
# A field renamed in the model keeps the key it had on disk: stores written before and after
# the rename read alike (an older process sharing the store too), and prints still match.
_ON_DISK = {"vendor_id": "assessment_id"}  # Assessment.vendor_id was named after one vendor's id
_IN_MODEL = {disk: name for name, disk in _ON_DISK.items()}
# per kind of record, the (field, key on disk) pairs written, in the model's order, worked out once
_KEPT = {kind: tuple((n, _ON_DISK.get(n, n)) for n in kind.__dataclass_fields__) for kind in (Assessment, Span)}
_PRINTED = {kind: tuple(p for p in _KEPT[kind] if p[0] not in _BOOKKEEPING[kind]) for kind in (Assessment, Span)}


def _fields(rec: Assessment | Span, fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "span"} if type(rec) is Span else {}
    for name, key in fields:
        v = getattr(rec, name)
        if v is None or v == {} and name == "origin":
            continue
        out[key] = [v.vendor, v.value] if type(v) is Ref else v
    return out


def load(data: bytes | str) -> Assessment | Span:
    raw = {_IN_MODEL.get(k, k): v for k, v in jsonio.loads(data).items()}
    for name in ID_FIELDS:
        if raw.get(name) is not None:
            raw[name] = Ref(*raw[name])
    return KINDS[raw.pop("kind", "assessment")](**raw)
