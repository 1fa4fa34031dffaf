"""Assessments to JSON and back, for backends that keep them on disk."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from .. import jsonio
from ..model import ID_FIELDS, Assessment, Ref


def dump(rec: Assessment) -> bytes:
    out: dict[str, Any] = {}
    for name in Assessment.__dataclass_fields__:
        v = getattr(rec, name)
        if v is None or v == {} and name == "origin":
            continue
        out[name] = [v.vendor, v.value] if isinstance(v, Ref) else v
    return jsonio.dumps(out)


def fingerprint(rec: Assessment) -> str:
    """What was delivered, in 16 hex: the same record content gives the same print."""
    body = dump(dataclasses.replace(rec, origin={}))
    return hashlib.sha256(body).hexdigest()[:16]


def load(data: bytes | str) -> Assessment:
    raw = jsonio.loads(data)
    for name in ID_FIELDS:
        if raw.get(name) is not None:
            raw[name] = Ref(*raw[name])
    return Assessment(**raw)
