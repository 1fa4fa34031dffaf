"""Rules run as generated code: the forms (ir.py) of a decode's, an encode's or a gate's
rules written as one Python function each (lines from emit.py), for speed.

The interpreter (interpret.py) is the meaning; each function here answers None (a gate:
the interpreter's answer) wherever the interpreter would refuse, and the caller then runs
the interpreter, which says where and why. tests/unit/test_generated_decode.py holds the
two to the same records or the same refusal. proxy/generated.py runs the source.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from ..generated import define
from ..model import ID_FIELDS, Assessment, Ref, span_key
from . import carry
from .emit import Names, emit_rule, emit_tests, has_transforms, hoist_roots
from .ir import Form
from .paths import setter

INLINE = True  # run rules as generated code; False: the interpreter only, to compare the two


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
            lines += [f"  v = _attach(None if v is MISSING else v, _carried(rec, {kept}))",
                      "  if v is None: v = MISSING"]
        if form.id:
            lines.append(f"  if isinstance(v, Ref): v = ctx['translate'](v, {form.id!r})")
        else:
            lines.append("  if isinstance(v, Ref): v = v.value")
        put = f"out[{name!r}] = v" if "." not in name else f"{names.add(setter(name), 'put')}(out, v)"
        lines.append(f"  if v is not MISSING: {put}")
    lines = ["def fill(src, rec, ctx):", " try:", *hoist_roots(roots, lines, "  "), *lines, "  return out",
             " except Bail:", "  return None"]
    return define("fill", lines, names.ns, "encode rules")


def _always_present(form: Form) -> bool:
    """Generated code leaves a value in `v` (never MISSING): the rule is required and no step
    after its checks or `when` can take it away."""
    return bool(form.checks is not None and form.checks.required and form.when is None and not has_transforms(form))


def decode_records(kind: type, fields: dict[str, Form], checks: list[Form], roots: frozenset, vendor: str,
                   uncarry: str | None) -> Callable | None:
    """The whole decode of a request's elements as one function: each element's rules in one
    loop, the roots other than `item` read once, each record (an Assessment or a Span) built
    with its fields in order (no dict of values, no `**`). It answers None where any element
    is not an object, any rule would refuse it, or its `uncarry` text carries fields (the
    interpreter, in decode.CompiledDecode, then does the work and words the refusal)."""
    if not INLINE or not set(fields) <= set(kind.__dataclass_fields__):
        return None
    names = Names(Ref=Ref, _kind=kind, _mark=carry.MARK, _span_key=span_key)
    lines: list[str] = []
    always = set()  # fields that cannot be MISSING here: required, with nothing after the checks
    for name, form in fields.items():
        lines += emit_rule(form, names, "   ")
        plain = _always_present(form)
        if form.id or name in ID_FIELDS:
            if plain and form.checks.types in (("uuid",), ("string",)):  # a text, present: a Ref of it
                lines.append(f"   v = _tuple_new(Ref, ({vendor!r}, v))")
            else:
                lines.append(f"   if v is not MISSING and not isinstance(v, Ref): v = _tuple_new(Ref, ({vendor!r}, "
                             "v if v.__class__ is str else str(v)))")
        lines.append(f"   f_{name} = v")
        if plain:
            always.add(name)
    for form in checks:
        lines += emit_rule(form, names, "   ")
    if uncarry:
        lines.append(f"   if f_{uncarry}.__class__ is str and _mark in f_{uncarry}: return None")
    args = [_argument(kind, f, fields, always, names) for f in dataclasses.fields(kind)]
    if kind is Assessment:
        made = [f"   out.append(_kind({', '.join(args)}))"]
    else:  # a span's record is the span itself: its key is its id
        made = [f"   r = _kind({', '.join(args)})",
                f"   r.id = _span_key({vendor!r}, r.entity, r.entity_ref.value if r.entity_ref else index)",
                "   out.append(r)"]
    outer = hoist_roots(roots - {"item"}, lines, "  ")
    lines = ["def records_of(src, elements, make_id, origin):", " out = []", " _d_item, _o_item = True, False", " try:",
             *outer, "  for index, _r_item in enumerate(elements):", "   if _r_item.__class__ is not dict: return None",
             "   src['item'] = _r_item", *lines, *made, " except Bail:", "  return None", " return out"]
    return define("records_of", lines, names.ns, f"decode loop of {vendor}")


def _argument(kind: type, f: dataclasses.Field, fields: dict, always: set, names: Names) -> str:
    """The expression a generated record is built with for field `f`."""
    if f.name == "id":
        return "make_id(index)" if kind is Assessment else '""'  # a span's: its key, set once it is built
    if f.name == "origin":
        return "origin"
    default = repr(f.default) if f.default is None or isinstance(f.default, str) else names.add(f.default, "d")
    if f.name in always:
        return f"f_{f.name}"
    return f"{default} if f_{f.name} is MISSING else f_{f.name}" if f.name in fields else default


def gate(when: Any, fallback: Callable[[dict], bool]) -> Callable[[dict], bool]:
    """interpret.holds over a `when:`'s tests as one function (`fallback` when not generating)."""
    if not INLINE:
        return fallback
    names = Names()
    lines = emit_tests(when, "  ", names, "return False")
    lines = ["def gate(src):", *hoist_roots(frozenset(t.path[0] for t in when), lines, "  "), *lines, "  return True"]
    return define("gate", lines, names.ns, "encode case gate")
