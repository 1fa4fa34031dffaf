"""Rules run as generated code, for speed: the forms (ir.py) of a decode's, an encode field
list's or an encode case gate's rules written as one Python function each, dict look-ups
inlined (a 1,000-score Opik batch decodes ~7x faster than interpreted: bench/decode.py).

The interpreter (interpret.py) is the meaning; a decode's whole loop is codegen_decode.py.
Generated code only has to be right for valid input: where the interpreter would raise
RuleViolation it gives up (`raise Bail`), the function answers None, and the caller runs the
interpreter, which says where and why.
tests/unit/test_generated_decode.py and test_generated_encode.py hold the two to the same
answer; proxy/generated.py runs the source.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from ..generated import define
from ..model import Ref
from . import carry, interpret
from .checks import TYPES, canonical_uuid, is_datetime, is_uuid
from .ir import Checks, Form, Path, Test
from .paths import MISSING, _slotted, _step, setter, slotted

INLINE = True  # run rules as generated code; False: the interpreter only, to compare the two


class Bail(Exception):
    """Generated code met something the interpreter must judge (and word)."""


class Names:
    """Objects that generated code refers to, each under a fresh name."""

    def __init__(self, dicts: frozenset[str] = frozenset(), **fixed: Any) -> None:
        self.dicts = dicts  # the roots the generated function has checked are dicts: read as dicts (emit_get)
        self.ns: dict[str, Any] = {
            "MISSING": MISSING,
            "Bail": Bail,
            "_step": _step,
            "_isfinite": math.isfinite,
            "_is_uuid": is_uuid,
            "_is_datetime": is_datetime,
            "_uuid_form": canonical_uuid,
            "_tuple_new": tuple.__new__,
            "_slotted": _slotted,
            "_is_slotted": slotted,
            **fixed,
        }

    def add(self, obj: Any, hint: str = "k") -> str:
        name = f"_{hint}{len(self.ns)}"
        self.ns[name] = obj
        return name


def emit_get(steps: Path, ind: str, dicts: frozenset[str] = frozenset()) -> list[str]:
    """`v = <path>` with paths.get's meaning: MISSING when any step is absent or null. `dicts`: the
    roots known to be dicts where the code runs (Names.dicts)."""
    root, rest = steps[0], steps[1:]
    if not rest:
        return [f"{ind}v = src.get({root!r}, MISSING)", f"{ind}if v is None: v = MISSING"]
    key, rest = rest[0], rest[1:]
    if isinstance(key, int):
        lines = [f"{ind}v = _step(src.get({root!r}), {key!r})"]
    elif root in dicts:
        lines = [f"{ind}v = _r_{root}.get({key!r})"]
    else:  # the roots are read once, at the top of the generated function (see hoist_roots)
        lines = [
            f"{ind}v = _r_{root}.get({key!r}) if _d_{root} else getattr(_r_{root}, {key!r}, None) if _o_{root} "
            f"else _step(_r_{root}, {key!r})"
        ]
    for key in rest:  # _step(None | MISSING, k) is MISSING, so a gap anywhere carries through
        if isinstance(key, int):
            lines.append(f"{ind}v = _step(v, {key!r})")
        else:
            lines.append(f"{ind}v = v.get({key!r}) if v.__class__ is dict else _step(v, {key!r})")
    lines.append(f"{ind}if v is None: v = MISSING")
    return lines


def hoist_roots(roots: frozenset[str], code: list[str], ind: str) -> list[str]:
    """The lines that read each root `code` uses once, for emit_get: `_r_<root>`, and is it
    a dict (`_d_<root>`) or a record read by attribute (`_o_<root>`, as paths._step decides)."""
    text = "\n".join(code)
    return [
        line
        for r in sorted(roots)
        if f"_r_{r}" in text
        for line in (
            f"{ind}_r_{r} = src.get({r!r})",
            f"{ind}_d_{r} = _r_{r}.__class__ is dict",
            f"{ind}_o_{r} = not _d_{r} and (_slotted.get(_r_{r}.__class__) or (_r_{r}.__class__ not in _slotted "
            f"and _is_slotted(_r_{r}.__class__)))",
        )
    ]


def emit_tests(when: tuple[Test, ...], ind: str, names: Names, fail: str) -> list[str]:
    """interpret.holds as lines: `fail` (a statement) at the first test that does not hold."""
    lines: list[str] = []
    for t in when:
        lines += emit_get(t.path, ind, names.dicts)
        if t.exists is not None:
            lines.append(f"{ind}if (v is not MISSING) != {bool(t.exists)!r}: {fail}")
        if t.eq is not None:
            lines.append(f"{ind}if not v == {names.add(t.eq, 'eq')}: {fail}")
        if t.ne is not None:
            lines.append(f"{ind}if not v != {names.add(t.ne, 'ne')}: {fail}")
        if t.isin is not None:  # a null in the list matches an absent field
            lines.append(f"{ind}if (None if v is MISSING else v) not in {names.add(t.isin, 'isin')}: {fail}")
    return lines


# Each type as an expression over `v`: checks.TYPES's predicates, spelled out
_TYPE_EXPR = {
    "string": "isinstance(v, str)",
    "number": "isinstance(v, (int, float)) and not isinstance(v, bool) and _isfinite(v)",
    "integer": "(isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())",
    "boolean": "isinstance(v, bool)",
    "object": "isinstance(v, dict)",
    "array": "isinstance(v, list)",
    "uuid": "isinstance(v, str) and len(v) == 36 and (_uuid_form(v) is not None or _is_uuid(v))",
    "datetime": "isinstance(v, str) and _is_datetime(v)",
    "scalar": "isinstance(v, (str, int, float, bool))",
}
_GUARDS = {
    "num": "isinstance(v, (int, float)) and not isinstance(v, bool)",
    "str": "isinstance(v, str)",
    "list": "isinstance(v, list)",
}
# a type that passed implies its guard
_IMPLIED = {"string": "str", "uuid": "str", "number": "num", "integer": "num", "array": "list"}
_BOUNDS = {
    "min": ("num", "not v >= {b}"),
    "max": ("num", "not v <= {b}"),
    "min_length": ("str", "not len(v.strip({blank})) >= {b}"),
    "max_length": ("str", "not len(v) <= {b}"),
    "min_items": ("list", "not len(v) >= {b}"),
    "max_items": ("list", "not len(v) <= {b}"),
}


def emit_checks(c: Checks | None, names: Names, ind: str) -> list[str]:
    """interpret.check as lines, in its order, each raising Bail where it raises."""
    if c is None:
        return []
    inner = ind if c.required else ind + " "
    lines = _emit_tests(c, names, inner)
    bounds = dict(c.bounds)
    if lines and c.types == ("number",) and _finite(bounds.get("min")) and _finite(bounds.get("max")):
        fast = f"v.__class__ is float and {names.add(bounds['min'], 'b')} <= v <= {names.add(bounds['max'], 'b')}"
        lines = [f"{inner}if not ({fast}):", *_emit_tests(c, names, inner + " ")]  # within finite bounds: finite
    if c.required:
        return [f"{ind}if v is MISSING: raise Bail", *lines]
    return [f"{ind}if v is not MISSING:", *lines] if lines else []


def _emit_tests(c: Checks, names: Names, inner: str) -> list[str]:
    known = _IMPLIED.get(c.types[0]) if len(c.types) == 1 else None
    lines: list[str] = []
    if c.types:
        lines.append(f"{inner}if not ({' or '.join(f'({_TYPE_EXPR[t]})' for t in c.types)}): raise Bail")
    bad: list[str] = []
    for kind, bound in c.bounds:
        guard, test = _BOUNDS[kind]
        text = test.format(b=names.add(bound, "b"), blank=names.add(c.blank, "blank"))
        bad.append(text if guard == known else f"{_GUARDS[guard]} and {text}")
    if bad:
        lines.append(f"{inner}if {' or '.join(f'({b})' for b in bad)}: raise Bail")
    if c.matches is not None:  # one regex search per distinct text: a batch repeats its project names
        rx, seen = names.add(c.matches, "rx"), names.add({}, "seen")
        body = [
            f"ok = {seen}.get(v)",
            "if ok is None:",
            f" ok = {rx}(v) is not None",
            f" if len({seen}) < 4096: {seen}[v] = ok",
            "if not ok: raise Bail",
        ]
        if known == "str":
            lines += [inner + b for b in body]
        else:
            lines += [f"{inner}if isinstance(v, str):", *[inner + " " + b for b in body]]
    if c.one_of is not None:
        lines.append(f"{inner}if v not in {names.add(c.one_of, 'one')}: raise Bail")
    if c.items_type is not None:
        test = names.add(TYPES[c.items_type][0], "it")
        lines.append(f"{inner}if isinstance(v, list) and not all(map({test}, v)): raise Bail")
    if c.items is not None:
        each = names.add(partial(interpret.each_broken, c.items), "each")
        lines.append(f"{inner}if isinstance(v, list) and {each}(enumerate(v)): raise Bail")
    if c.values is not None:
        each = names.add(partial(interpret.each_broken, c.values), "each")
        lines.append(f"{inner}if isinstance(v, dict) and {each}(v.items()): raise Bail")
    if c.unique:
        lines.append(f"{inner}if isinstance(v, list) and len(set(map(repr, v))) != len(v): raise Bail")
    return lines


def _finite(bound: Any) -> bool:
    return isinstance(bound, (int, float)) and not isinstance(bound, bool) and math.isfinite(bound)


def emit_rule(form: Form, names: Names, ind: str) -> list[str]:
    """Lines that leave the rule's value in `v` (as interpret.run returns it), or raise Bail
    where it would raise RuleViolation."""
    body: list[str] = []
    depth = ind
    for i, path in enumerate(form.paths):
        if i:
            body.append(f"{depth}if v is MISSING:")
            depth += " "
        body += emit_get(path, depth, names.dicts)
    if form.template is not None:
        body.append(f"{ind}v = {names.add(partial(interpret.render, form.template), 'tpl')}(src)")
    elif not form.paths:
        body.append(f"{ind}v = {'MISSING' if form.const is MISSING else names.add(form.const, 'const')}")
    default = names.add(form.default, "default") if form.default is not MISSING else None
    if default:
        body.append(f"{ind}if v is MISSING: v = {default}")
    if form.fn is not None:
        body += [f"{ind}v = {names.add(form.fn, 'fn')}(v, src)", f"{ind}if v is None: v = MISSING"]
    body += emit_checks(form.checks, names, ind)
    if form.transforms:
        body.append(f"{ind}v = {names.add(partial(interpret.transform, form), 'steps')}(v, src)")
    if form.when is None:
        return body
    inner = ind + " "
    gate = names.add(partial(interpret.holds, form.when), "when")
    return [
        f"{ind}if not {gate}(src):",
        f"{inner}v = {default or 'MISSING'}",
        f"{ind}else:",
        *[inner + line[len(ind) :] for line in body],
    ]


# --- whole functions: a decode, an encode field list, an encode case gate ------------------


def encode_fields(forms: dict[str, Form], roots: frozenset, carried: Callable) -> Callable | None:
    """engine.fill over these rules as one function; it answers None where a rule refuses
    the record (fill's loop then raises the EncodeError that says why)."""
    if not INLINE or not forms:
        return None
    names = Names(Ref=Ref, _attach=carry.attach, _carried=carried)
    lines = ["  out = {}"]
    for name, form in forms.items():
        lines += emit_rule(form, names, "  ")
        if form.carry:
            kept = names.add(list(form.carry), "carry")
            lines += [
                f"  v = _attach(None if v is MISSING else v, _carried(rec, {kept}))",
                "  if v is None: v = MISSING",
            ]
        if form.id:
            lines.append(f"  if isinstance(v, Ref): v = ctx['translate'](v, {form.id!r})")
        else:
            lines.append("  if isinstance(v, Ref): v = v.value")
        put = f"out[{name!r}] = v" if "." not in name else f"{names.add(setter(name), 'put')}(out, v)"
        lines.append(f"  if v is not MISSING: {put}")
    lines = [
        "def fill(src, rec, ctx):",
        " try:",
        *hoist_roots(roots, lines, "  "),
        *lines,
        "  return out",
        " except Bail:",
        "  return None",
    ]
    return define("fill", lines, names.ns, "encode rules")


def gate(when: tuple[Test, ...], fallback: Callable[[dict], bool]) -> Callable[[dict], bool]:
    """interpret.holds over a `when:`'s tests as one function (`fallback` when not generating)."""
    if not INLINE:
        return fallback
    names = Names()
    lines = emit_tests(when, "  ", names, "return False")
    lines = ["def gate(src):", *hoist_roots(frozenset(t.path[0] for t in when), lines, "  "), *lines, "  return True"]
    return define("gate", lines, names.ns, "encode case gate")
