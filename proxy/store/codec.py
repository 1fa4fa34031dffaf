"""Assessments to JSON and back, for backends that keep them on disk."""

from __future__ import annotations

import hashlib

from .. import jsonio
from ..generated import define
from ..model import ID_FIELDS, KINDS, Assessment, Ref, Span


def dump(rec: Assessment | Span) -> bytes:
    return jsonio.dumps(_KEPT[rec.__class__](rec))


def fingerprint(rec: Assessment | Span) -> str:
    """What was delivered, in 16 hex: the same content gives the same print (when the
    proxy accepted it, and through which route, are bookkeeping, not content). The text
    hashed is dump's without those fields, so prints kept by earlier versions still match."""
    return hashlib.sha256(jsonio.dumps(_PRINTED[rec.__class__](rec))).hexdigest()[:16]


def _fields(kind: type, names: tuple[str, ...]):
    """The dict `dump` writes of a record of `kind`: each field of `names` that has a value, under
    its key on disk (a Ref as [vendor, value]; an empty origin left out), "kind" first for a span.
    Written out as straight-line code, a field after another: a loop over the fields took 25k
    instructions a record, against 5k, and each request dumps and prints its records (bench/RESULTS.md)."""
    lines = ["def fields(rec):", '    out = {"kind": "span"}' if kind is Span else "    out = {}"]
    for name in names:
        key = _ON_DISK.get(name, name)
        lines += [f"    v = rec.{name}", "    if v is not None:"]
        put = f"out[{key!r}] = [v.vendor, v.value] if v.__class__ is Ref else v"
        lines += ["        if v != {}:", f"            {put}"] if name == "origin" else [f"        {put}"]
    lines.append("    return out")
    return define("fields", lines, {"Ref": Ref}, f"fields of {kind.__name__}")


_BOOKKEEPING = {Assessment: ("origin", "created_at"), Span: ("origin",)}
# A field renamed in the model keeps the key it had on disk: stores written before and after
# the rename read alike (an older process sharing the store too), and prints still match.
_ON_DISK = {"vendor_id": "assessment_id"}  # Assessment.vendor_id was named after one vendor's id
_IN_MODEL = {disk: name for name, disk in _ON_DISK.items()}
# per kind of record: the fields written, in the model's order; those printed, without the bookkeeping
_KEPT = {kind: _fields(kind, tuple(kind.__dataclass_fields__)) for kind in (Assessment, Span)}
_PRINTED = {
    kind: _fields(kind, tuple(n for n in kind.__dataclass_fields__ if n not in _BOOKKEEPING[kind]))
    for kind in (Assessment, Span)
}


def load(data: bytes | str) -> Assessment | Span:
    raw = {_IN_MODEL.get(k, k): v for k, v in jsonio.loads(data).items()}
    for name in ID_FIELDS:
        if raw.get(name) is not None:
            raw[name] = Ref(*raw[name])
    return KINDS[raw.pop("kind", "assessment")](**raw)
