"""The meaning of a rule's form (ir.py): plain functions over it, the reference that
generated code (codegen.py) is held to.

    value = run(form, src)     # src: root name -> value; MISSING: no value
A broken constraint raises RuleViolation with the wire location.
"""

from __future__ import annotations

import math
from typing import Any

from .checks import TYPES, RuleViolation, is_number
from .ir import Checks, Form, Test, enum_key
from .paths import MISSING, _present, get


def holds(when: tuple[Test, ...], src: dict) -> bool:
    """Does every test of a `when:` hold (conditions.py)? Stops at the first that does not."""
    for t in when:
        v = get(t.path, src)
        if t.exists is not None and (v is not MISSING) != t.exists:
            return False
        if t.eq is not None and not v == t.eq:
            return False
        if t.ne is not None and not v != t.ne:
            return False
        if t.isin is not None and (None if v is MISSING else v) not in t.isin:  # a null in the list: an absent field
            return False
    return True


def render(template: tuple, src: dict) -> Any:
    """A template's text; a missing field renders as the empty string, a blank text is MISSING."""
    out = []
    for piece in template:
        if isinstance(piece, str):
            out.append(piece)
        else:
            v = get(piece, src)
            out.append("" if v is MISSING else str(v))
    text = "".join(out)
    return text if text.strip() else MISSING


def source(form: Form, src: dict) -> Any:
    for path in form.paths:
        v = get(path, src)
        if v is not MISSING:
            return v
    if form.paths:
        return MISSING
    if form.template is not None:
        return render(form.template, src)
    return form.const


def run(form: Form, src: dict) -> Any:
    """The rule's value for these sources, or MISSING; raises RuleViolation."""
    if form.when is not None and not holds(form.when, src):
        return form.default
    v = get(form.paths[0], src) if len(form.paths) == 1 else source(form, src)
    if v is MISSING:
        v = form.default
    if form.fn is not None:
        v = _present(form.fn(v, src))  # a function answering None: no value
    if form.checks is not None:
        check(form.checks, v, form.loc or ())
    return transform(form, v, src) if form.transforms else v


def transform(form: Form, v: Any, src: dict) -> Any:
    """rescale -> round -> clamp -> threshold -> enum: each leaves anything but a number (enum: MISSING) as it is."""
    if form.rescale is not None and is_number(v):
        (b0, b1), fixed = form.rescale
        a0, a1 = fixed or record_scale(src) or (b0, b1)
        v = v if a1 == a0 else b0 + (v - a0) * (b1 - b0) / (a1 - a0)
    if form.rounding and is_number(v):
        v = int(math.floor(v + 0.5)) if form.digits is None else round(v, form.digits)
    if form.clamp is not None and is_number(v):
        v = min(max(v, form.clamp[0]), form.clamp[1])
    if form.threshold is not None and is_number(v):
        v = 1 if v >= form.threshold else 0
    if form.enum is not None and v is not MISSING:
        hit = form.enum.get(enum_key(v), MISSING)
        v = hit if hit is not MISSING else v if form.enum_fallback is MISSING else form.enum_fallback
    return v


def record_scale(src: dict) -> tuple | None:
    """The record's scale, where it is one: two numbers (anything else is no scale to rescale from)."""
    rec = src.get("rec")
    scale = getattr(rec, "scale", None) if rec is not None else None
    return scale if isinstance(scale, (list, tuple)) and len(scale) == 2 and all(map(is_number, scale)) else None


def check(checks: Checks, value: Any, where: tuple) -> None:
    """Raise RuleViolation at `where` (or at an element under it) when `value` breaks a check."""
    if value is MISSING:
        if checks.required:
            raise RuleViolation(where, "missing")
        return
    bad = broken(checks, value)
    if bad:
        if len(bad) > 3:  # an element's: (kind, limit, expected, its key, its value)
            raise RuleViolation((*where, bad[3]), bad[0], bad[1], bad[4], bad[2])
        raise RuleViolation(where, bad[0], bad[1], value, bad[2])


def broken(c: Checks, v: Any) -> tuple | None:
    """The first check `v` breaks, as (kind, limit, expected[, element key, element]), or None."""
    if c.type_ok is not None and not c.type_ok(v):
        return "type", None, c.expected
    for kind, bound in c.bounds:
        if not _within(kind, bound, v, c.blank):
            return kind, bound, ""
    if c.matches is not None and isinstance(v, str) and not c.matches(v):
        return "pattern", c.pattern, ""
    if c.one_of is not None and v not in c.one_of:
        return "one_of", c.one_of, ""
    if c.items_type is not None and isinstance(v, list) and not all(map(TYPES[c.items_type][0], v)):
        return "type", None, f"an array of {TYPES[c.items_type][1].split(' ', 1)[1]}s"
    if c.items is not None and isinstance(v, list):
        bad = each_broken(c.items, enumerate(v))
        if bad:
            return bad
    if c.values is not None and isinstance(v, dict):
        bad = each_broken(c.values, v.items())
        if bad:
            return bad
    if c.unique and isinstance(v, list) and len(set(map(repr, v))) != len(v):
        return "unique", None, ""
    return None


def each_broken(c: Checks, pairs: Any) -> tuple | None:
    """The first element (of an array, or value of an object) that breaks `c`, named by its index (or key)."""
    for key, element in pairs:
        try:
            check(c, element, ())
        except RuleViolation as bad:
            return bad.kind, bad.limit, bad.expected, key, element
    return None


def _within(kind: str, bound: Any, v: Any, blank: str | None) -> bool:
    if kind == "min":
        return not is_number(v) or v >= bound
    if kind == "max":
        return not is_number(v) or v <= bound
    if kind == "min_length":
        return not isinstance(v, str) or len(v.strip(blank)) >= bound
    if kind == "max_length":
        return not isinstance(v, str) or len(v) <= bound
    if kind == "min_items":
        return not isinstance(v, list) or len(v) >= bound
    return not isinstance(v, list) or len(v) <= bound  # max_items
