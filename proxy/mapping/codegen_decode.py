"""A decode as one generated function (codegen.py writes its rules' lines): each element of a
request's body through every rule in one loop, each record built with its fields in order.
tests/unit/test_generated_decode.py holds it to the interpreter's answers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..generated import define
from ..model import ID_FIELDS, Assessment, Ref, span_key
from . import carry, codegen
from .codegen import Names, emit_rule, hoist_roots
from .ir import Form


def _always_present(form: Form) -> bool:
    """Generated code leaves a value in `v` (never MISSING): the rule is required and no step
    after its checks or `when` can take it away."""
    return bool(form.checks is not None and form.checks.required and form.when is None and not form.transforms)


def decode_records(
    kind: type, fields: dict[str, Form], checks: list[Form], roots: frozenset, vendor: str, uncarry: str | None
) -> Callable | None:
    """The whole decode of a request's elements as one function: each element's rules in one
    loop, the roots other than `item` read once, each record (an Assessment or a Span) built
    with its fields in order (no dict of values, no `**`). It answers None where any element
    is not an object, any rule would refuse it, or its `uncarry` text carries fields (the
    interpreter, in decode.CompiledDecode, then does the work and words the refusal)."""
    if not codegen.INLINE or not set(fields) <= set(kind.__dataclass_fields__):
        return None
    names = Names(frozenset({"item"}), Ref=Ref, _kind=kind, _mark=carry.MARK, _span_key=span_key)  # each a dict
    lines: list[str] = []
    always = set()  # fields that cannot be MISSING here: required, with nothing after the checks
    for name, form in fields.items():
        lines += emit_rule(form, names, "   ")
        plain = _always_present(form)
        if form.id or name in ID_FIELDS:
            if plain and form.checks.types in (("uuid",), ("string",)):  # a text, present: a Ref of it
                lines.append(f"   v = _tuple_new(Ref, ({vendor!r}, v))")
            else:
                lines.append(
                    f"   if v is not MISSING and not isinstance(v, Ref): v = _tuple_new(Ref, ({vendor!r}, "
                    "v if v.__class__ is str else str(v)))"
                )
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
        made = [
            f"   r = _kind({', '.join(args)})",
            f"   r.id = _span_key({vendor!r}, r.entity, r.entity_ref.value if r.entity_ref else index)",
            "   out.append(r)",
        ]
    outer = hoist_roots(roots - {"item"}, lines, "  ")
    lines = [
        "def records_of(src, elements, make_id, origin):",
        " out = []",
        " try:",
        *outer,
        "  for index, _r_item in enumerate(elements):",
        "   if _r_item.__class__ is not dict: return None",
        "   src['item'] = _r_item",
        *lines,
        *made,
        " except Bail:",
        "  return None",
        " return out",
    ]
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
