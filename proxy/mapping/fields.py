"""A list of target fields, each with its rule compiled, filled into one dict.

fields = compile_fields(spec.body, ENCODE_ROOTS, "rec")
body = fill(fields, {"rec": rec, "ctx": ctx}, rec, ctx)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from .. import vendors
from ..errors import EncodeError
from ..model import Assessment, Ref
from . import carry, codegen, interpret, ir
from .checks import RuleViolation
from .paths import MISSING, setter
from .rules import Rule


class Fields(list):
    """(name, put, run, rule) per target field; `forms`: each rule's form by name; `fast`: all of
    them as one generated function (codegen.encode_fields), for fields read from a record."""

    forms: dict[str, ir.Form]
    fast: Callable | None = None


def compile_fields(rules: dict[str, Rule], roots: frozenset, record_root: str | None = None) -> Fields:
    out = Fields()
    out.forms = {name: ir.build(rule, roots, vendors.function, record_root) for name, rule in rules.items()}
    for name, rule in rules.items():
        out.append((name, setter(name), partial(interpret.run, out.forms[name]), rule))
    if record_root is not None:
        out.fast = codegen.encode_fields(out.forms, roots, carried)
    return out


def fill(fields: list, src: dict, rec: Assessment, ctx: dict) -> dict:
    fast = getattr(fields, "fast", None)
    if fast is not None:
        out = fast(src, rec, ctx)
        if out is not None:
            return out
    out: dict = {}
    for name, put, run, rule in fields:
        try:
            v = run(src)
        except RuleViolation as v_:
            source = rule.src if isinstance(rule.src, str) else None
            raise EncodeError(
                f"{name}: {v_.kind} (from {rule.src or rule.template or rule.const})",
                source if v_.kind == "missing" else None,
            ) from None
        if rule.carry:
            v = carry.attach(None if v is MISSING else v, carried(rec, rule.carry))
            v = MISSING if v is None else v
        if rule.id and isinstance(v, Ref):
            v = ctx["translate"](v, rule.id)
        elif isinstance(v, Ref):
            v = v.value
        if v is not MISSING:
            put(out, v)
    return out


def carried(rec: Assessment, names: list[str]) -> dict[str, Any]:
    """The record's fields `names` that have a value, as carry.attach takes them."""
    out = {}
    for n in names:
        v = getattr(rec, n, None)
        if v is not None:
            out[n] = v.value if isinstance(v, Ref) else list(v) if isinstance(v, tuple) else v
    return out
