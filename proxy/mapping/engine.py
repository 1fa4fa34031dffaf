"""A vendor mapping, compiled once: match, decode, encode, respond.

    mapping = compile_vendor(spec)
    endpoint, params = mapping.match("POST", "/api/v1/spans/sp_1/evaluations")
    records = endpoint.decode(WireRequest(...), ctx)        # wire -> canonical
    requests, refused = mapping.encode(records, ctx_for)    # canonical -> wire
    reply = endpoint.respond(records, ctx)                  # the client's answer

Every function here is pure: ids, time and the registry come in through `ctx`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, unquote

from .. import codecs
from ..errors import EncodeError, Violation, ValidationFailed
from ..model import ID_FIELDS, KINDS, Assessment, OutRequest, Ref, Reply, Span, span_key
from . import carry
from .conditions import compile_condition
from .paths import MISSING, compile_getter, setter
from .refusals import Refuse, split_checks
from .rules import Names, Rule, RuleViolation, compile_rule, emit_get, emit_rule, hoist_roots
from .spec import EncodeCase, Endpoint, VendorSpec
from .where import compile_where

DECODE_ROOTS = frozenset({"body", "item", "path", "query", "header", "ctx"})
ENCODE_ROOTS = frozenset({"rec", "item", "ctx"})
RESPOND_ROOTS = ENCODE_ROOTS | {"header"}  # a reply may read the request's headers (ctx["header"]: lower-case names)
_PARAM = re.compile(r"\{(\w+)\}")
_NO_ITEM = ({},)  # the one element of a decode without `each`: its rules read no item
INLINE = True  # run decode rules as generated code (rules.emit_rule); False: closures only, to compare the two


@dataclass(slots=True)
class WireRequest:
    method: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any


def sources(req: WireRequest, ctx: dict) -> dict:
    """What a decode rule's path starts from (DECODE_ROOTS, less the element's `item`)."""
    return {"body": req.body, "path": req.path_params, "query": req.query, "header": req.headers, "ctx": ctx}


class Fields(list):
    """(name, put, run, rule) per target field; `fast`: all of them as one generated function (see fill)."""

    fast: Callable | None = None


def _fields(rules: dict[str, Rule], roots: frozenset, record_root: str | None = None) -> Fields:
    out = Fields()
    for name, rule in rules.items():
        run, _ = compile_rule(rule, roots, codecs.resolve, record_root)
        out.append((name, setter(name), run, rule))
    if record_root is not None:
        out.fast = inline_fill(rules, roots, record_root)
    return out


def inline_fill(rules: dict[str, Rule], roots: frozenset, record_root: str) -> Callable | None:
    """`fill` over these rules as one generated function; it answers None where a rule
    refuses the record (fill's loop then raises the EncodeError that says why)."""
    if not INLINE or not rules:
        return None
    names = Names(Ref=Ref, RuleViolation=RuleViolation, _attach=carry.attach, _carried=_carried)
    lines = ["  out = {}"]
    for name, rule in rules.items():
        lines += emit_rule(rule, roots, codecs.resolve, names, "  ", record_root)
        if rule.carry:
            lines += [f"  v = _attach(None if v is MISSING else v, _carried(rec, {names.add(rule.carry, 'carry')}))", "  if v is None: v = MISSING"]
        if rule.id:
            lines.append(f"  if isinstance(v, Ref): v = ctx['translate'](v, {rule.id!r})")
        else:
            lines.append("  if isinstance(v, Ref): v = v.value")
        put = f"out[{name!r}] = v" if "." not in name else f"{names.add(setter(name), 'put')}(out, v)"
        lines.append(f"  if v is not MISSING: {put}")
    lines = ["def fill(src, rec, ctx):", " try:", *hoist_roots(roots, lines, "  "), *lines, "  return out",
             " except (Bail, RuleViolation):", "  return None"]
    exec(compile("\n".join(lines), "<encode rules>", "exec"), names.ns)  # noqa: S102 - code written from the mapping's rules
    return names.ns["fill"]


def inline_values(fields: dict[str, Rule], checks: dict[str, Rule], vendor: str) -> Callable[[dict], dict | None] | None:
    """One generated function that computes a record's fields as CompiledDecode's
    loop does, or answers None where any rule would refuse the input (the
    closures then run, and say where and why)."""
    if not INLINE:
        return None
    names = Names(Ref=Ref)
    lines = ["  values = {}"]
    for name, rule in fields.items():
        lines += emit_rule(rule, DECODE_ROOTS, codecs.resolve, names, "  ")
        put = f"values[{name!r}] = v"
        if rule.id or name in ID_FIELDS:  # Ref(vendor, str(v)), without NamedTuple's Python-level __new__
            put += f" if isinstance(v, Ref) else _tuple_new(Ref, ({vendor!r}, v if v.__class__ is str else str(v)))"
        lines.append(f"  {put}" if _always_present(rule) else f"  if v is not MISSING: {put}")
    for rule in checks.values():
        lines += emit_rule(rule, DECODE_ROOTS, codecs.resolve, names, "  ")
    lines = ["def values_of(src):", " try:", *hoist_roots(DECODE_ROOTS, lines, "  "), *lines, "  return values", " except Exception:", "  return None"]
    exec(compile("\n".join(lines), f"<decode rules of {vendor}>", "exec"), names.ns)  # noqa: S102 - code written from the mapping's rules
    return names.ns["values_of"]


def _always_present(rule: Rule) -> bool:
    """Generated code leaves a value in `v` (never MISSING): the rule is required and no step
    after its checks (rescale, round, clamp, threshold, enum) or `when` can take it away."""
    later = rule.rescale or rule.round is not None or rule.clamp or rule.threshold is not None or rule.enum is not None
    return bool(rule.required and not rule.when and not later)


def inline_records(fields: dict[str, Rule], checks: dict[str, Rule], vendor: str, uncarry: str | None) -> Callable | None:
    """The whole decode of a request's elements as one generated function: each element's
    rules inlined into one loop, the roots other than `item` read once, each record built
    with its fields in order (no dict of values, no `**`). It answers None where any element
    is not an object, any rule would refuse it, or its `uncarry` text carries fields
    (CompiledDecode's loop then does the work, and words the refusal)."""
    if not INLINE or not set(fields) <= set(Assessment.__dataclass_fields__):
        return None
    names = Names(Ref=Ref, _kind=Assessment, _mark=carry.MARK)
    lines: list[str] = []
    always = set()  # fields that cannot be MISSING here: required, with nothing after the checks
    for name, rule in fields.items():
        lines += emit_rule(rule, DECODE_ROOTS, codecs.resolve, names, "   ")
        plain = _always_present(rule)
        if rule.id or name in ID_FIELDS:
            if plain and rule.type in ("uuid", "string"):  # a text, present: a Ref of it
                lines.append(f"   v = _tuple_new(Ref, ({vendor!r}, v))")
            else:
                lines.append(f"   if v is not MISSING and not isinstance(v, Ref): v = _tuple_new(Ref, ({vendor!r}, v if v.__class__ is str else str(v)))")
        lines.append(f"   f_{name} = v")
        if plain:
            always.add(name)
    for rule in checks.values():
        lines += emit_rule(rule, DECODE_ROOTS, codecs.resolve, names, "   ")
    if uncarry:
        lines.append(f"   if f_{uncarry}.__class__ is str and _mark in f_{uncarry}: return None")
    args = []
    for f in dataclasses.fields(Assessment):
        if f.name == "id":
            args.append("make_id(index)")
        elif f.name == "origin":
            args.append("origin")
        else:
            default = repr(f.default) if f.default is None or isinstance(f.default, str) else names.add(f.default, "d")
            args.append(f"f_{f.name}" if f.name in always else f"{default} if f_{f.name} is MISSING else f_{f.name}" if f.name in fields else default)
    outer = hoist_roots(DECODE_ROOTS - {"item"}, lines, "  ")
    lines = ["def records_of(src, elements, make_id, origin):", " out = []", " _d_item, _o_item = True, False", " try:", *outer,
             "  for index, _r_item in enumerate(elements):", "   if _r_item.__class__ is not dict: return None", "   src['item'] = _r_item",
             *lines, f"   out.append(_kind({', '.join(args)}))", " except Exception:", "  return None", " return out"]
    exec(compile("\n".join(lines), f"<decode loop of {vendor}>", "exec"), names.ns)  # noqa: S102 - code written from the mapping's rules
    return names.ns["records_of"]


def inline_gate(when: dict, roots: frozenset, record_root: str | None) -> Callable[[dict], bool] | None:
    """compile_condition's predicate as one generated function: the same tests, in the same
    order, stopping at the first that fails (conditions.py: exists, eq, ne, in)."""
    if not INLINE:
        return None
    names = Names()
    lines: list[str] = []
    for path, c in when.items():
        lines += emit_get(path, roots, record_root, "  ")
        if c.exists is not None:
            lines.append(f"  if (v is not MISSING) != {bool(c.exists)!r}: return False")
        if c.eq is not None:
            lines.append(f"  if not v == {names.add(c.eq, 'eq')}: return False")
        if c.ne is not None:
            lines.append(f"  if not v != {names.add(c.ne, 'ne')}: return False")
        if c.isin is not None:  # a null in the list matches an absent field
            lines.append(f"  if not (None if v is MISSING else v) in {names.add(c.isin, 'isin')}: return False")
    lines = ["def gate(src):", *hoist_roots(roots, lines, "  "), *lines, "  return True"]
    exec(compile("\n".join(lines), "<encode case gate>", "exec"), names.ns)  # noqa: S102 - code written from the mapping's conditions
    return names.ns["gate"]


class CompiledDecode:
    def __init__(self, spec, vendor: str, endpoint: str):
        self.vendor, self.endpoint = vendor, endpoint
        self.each = compile_getter(spec.each, DECODE_ROOTS)[1] if spec.each else None
        self.each_loc = tuple(spec.each.split(".")) if spec.each else ()
        self.items = compile_rule(spec.items.model_copy(update={"src": spec.each}), DECODE_ROOTS, codecs.resolve)[0] if spec.items else None
        self.fields = [(n, run, r.id or (n if n in ID_FIELDS else None)) for n, _, run, r in _fields(spec.fields, DECODE_ROOTS)]
        self.checks = [run for _, _, run, _ in _fields(spec.checks, DECODE_ROOTS)]
        self.uncarry = spec.uncarry
        self.overwrites = spec.overwrites
        self.kind = KINDS[spec.record]
        self.values_of = inline_values(spec.fields, spec.checks, vendor)
        self.records_of = inline_records(spec.fields, spec.checks, vendor, spec.uncarry) if self.kind is Assessment else None

    def __call__(self, req: WireRequest, ctx: dict) -> list[Assessment]:
        src = sources(req, ctx)
        bad: list[Violation] = []
        if req.body is not None and not isinstance(req.body, dict):
            raise ValidationFailed([Violation(("body",), "type", expected="a JSON object")])
        elements = [None]
        if self.each:
            if self.items:
                self._run(self.items, src, bad, ())
            found = self.each(src)
            if req.body is None and self.each_loc == ("body",):  # no body at all where the body is the object
                raise ValidationFailed([Violation(("body",), "missing")])
            elements = found if isinstance(found, list) else [found] if isinstance(found, dict) else []  # an object: one element
            if bad:
                raise ValidationFailed(bad)
        origin = {"vendor": self.vendor, "endpoint": self.endpoint, "overwrites": self.overwrites}  # one per request: never changed in place
        if self.records_of is not None and ctx.get("make_id") is not None:
            records = self.records_of(src, elements if self.each else _NO_ITEM, ctx["make_id"], origin)
            if records is not None:
                return records
        records = []
        fast = self.values_of
        for i, item in enumerate(elements):
            src["item"] = item
            if self.each and not isinstance(item, dict):
                bad.append(Violation((*self.each_loc, i), "type", input=item, expected="an object"))
                continue
            values = fast(src) if fast is not None else None
            if values is None:  # some rule refuses it (or nothing is inlined): the closures say where and why
                prefix = ((*self.each_loc, i) if isinstance(found, list) else self.each_loc) if self.each else ()  # an object: no index
                values = {}
                for name, run, id_kind in self.fields:
                    v = self._run(run, src, bad, prefix)
                    if v is not MISSING:
                        values[name] = Ref(self.vendor, str(v)) if id_kind and not isinstance(v, Ref) else v
                for run in self.checks:
                    self._run(run, src, bad, prefix)
            if not bad:
                records.append(self._record(values, ctx, i, origin))
        if bad:
            raise ValidationFailed(bad)
        return records

    @staticmethod
    def _run(run: Callable, src: dict, bad: list, prefix: tuple) -> Any:
        try:
            return run(src)
        except RuleViolation as v:
            loc = v.loc
            if prefix and loc and loc[0] == "item":
                loc = (*prefix, *loc[1:])
            bad.append(Violation(tuple(loc), v.kind, v.limit, v.input, v.expected))
            return MISSING

    def _record(self, values: dict, ctx: dict, index: int, origin: dict) -> Assessment | Span:
        if self.uncarry and values.get(self.uncarry) is not None:
            text, carried = carry.detach(values[self.uncarry])
            values[self.uncarry] = text
            for k, v in carried.items():
                if k in ASSESSMENT_FIELDS and k not in ("op", "id", "origin"):
                    values[k] = v
        rec = self.kind(**values)
        if self.kind is Span:  # a span's record is the span itself: its key is its id
            rec.id = span_key(self.vendor, rec.entity, rec.entity_ref.value if rec.entity_ref else index)
        else:
            make_id = ctx.get("make_id")
            rec.id = make_id(index) if make_id else f"{ctx.get('request_id', 'r')}:{index}"
        rec.origin = origin
        return rec


ASSESSMENT_FIELDS = set(Assessment.__dataclass_fields__)


class CompiledCase:
    def __init__(self, spec: EncodeCase, endpoint: Endpoint, name: str):
        self.spec, self.endpoint, self.name = spec, endpoint, name
        conds = {**{f"rec.{k}": c for k, c in spec.accepts.items()}, **spec.when}
        self.gate = (inline_gate(conds, ENCODE_ROOTS, "rec") or compile_condition(conds, ENCODE_ROOTS, "rec")) if conds else (lambda src: True)
        self.checks = {k: compile_condition({f"rec.{k}": c}, ENCODE_ROOTS, "rec") for k, c in spec.accepts.items()}
        self.params = _fields(spec.params, ENCODE_ROOTS, "rec")
        self.query = _fields(spec.query, ENCODE_ROOTS, "rec")
        self.body = _fields(spec.body, ENCODE_ROOTS, "rec") if spec.body is not None else None
        self.group_body = _fields(spec.group.body, ENCODE_ROOTS, "rec") if spec.group else []
        self.each = compile_getter(spec.each, ENCODE_ROOTS, "rec")[1] if spec.each else None
        self.template = endpoint.path

    def build(self, rec: Assessment, ctx: dict) -> list[tuple[str, dict | None, Any]]:
        """-> [(path, query, body)]: one per fan-out element."""
        src = {"rec": rec, "ctx": ctx}
        elements: list[Any] = [None]
        if self.each:
            found = self.each(src)
            elements = [{"key": k, "value": v} for k, v in found.items()] if isinstance(found, dict) else (found or [])
        out = []
        for item in elements:
            src["item"] = item
            params = fill(self.params, src, rec, ctx)
            path = _PARAM.sub(lambda m: quote(str(params.get(m.group(1), "")), safe=""), self.template)
            query = fill(self.query, src, rec, ctx) or None
            body = fill(self.body, src, rec, ctx) if self.body is not None else None
            out.append((path, query, body))
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
            raise EncodeError(f"{name}: {v_.kind} (from {rule.src or rule.template or rule.const})", source if v_.kind == "missing" else None) from None
        if rule.carry:
            v = carry.attach(None if v is MISSING else v, _carried(rec, rule.carry))
            v = MISSING if v is None else v
        if rule.id and isinstance(v, Ref):
            v = ctx["translate"](v, rule.id)
        elif isinstance(v, Ref):
            v = v.value
        if v is not MISSING:
            put(out, v)
    return out


def _carried(rec: Assessment, names: list[str]) -> dict:
    out = {}
    for n in names:
        v = getattr(rec, n, None)
        if v is not None:
            out[n] = list(v) if isinstance(v, tuple) and not isinstance(v, Ref) else (v.value if isinstance(v, Ref) else v)
    return out


class CheckedDecode(CompiledDecode):
    """A decode with checks that answer with a status of their own (refusals.py): they
    run once the request has passed every other rule."""

    def __init__(self, spec, vendor: str, endpoint: str, refuse: Refuse):
        super().__init__(spec, vendor, endpoint)
        self.refuse = refuse

    def __call__(self, req: WireRequest, ctx: dict) -> list[Assessment]:
        records = super().__call__(req, ctx)
        self.refuse(sources(req, ctx))
        return records


def compile_decode(spec, vendor: str, endpoint: str) -> CompiledDecode:
    plain, refuse = split_checks(spec.checks)
    if refuse is None:
        return CompiledDecode(spec, vendor, endpoint)
    return CheckedDecode(spec.model_copy(update={"checks": plain}), vendor, endpoint, refuse)


class CompiledEndpoint:
    def __init__(self, name: str, spec: Endpoint, vendor: str):
        self.name, self.spec, self.vendor = name, spec, vendor
        self.method = spec.method.upper()
        self.decode = compile_decode(spec.decode, vendor, name) if spec.decode else None
        self.cases = [CompiledCase(c, spec, name) for c in spec.encode]
        r = spec.respond
        self.respond_body = _fields(r.body, RESPOND_ROOTS, "rec") if r and r.body is not None else None
        self.respond_headers = _fields(r.headers, RESPOND_ROOTS, "rec") if r else []
        self.where = compile_where(r.where) if r else None
        self.learn_fields = _fields(spec.learn, DECODE_ROOTS)

    def respond(self, records: list[Assessment], ctx: dict, encode_own: Callable | None = None, asked: Assessment | None = None) -> Reply:
        """The answer the client gets when it is synthesized rather than forwarded.

        `encode_own(rec, ctx)` gives the body this vendor's encoder makes for a
        record; a reply declared `encoded` starts from it. `asked`: the record of
        a read the proxy answers from its records; a list keeps the items `where`
        finds in it.
        """
        r = self.spec.respond
        if r is None:
            return Reply(200, {})
        first = records[0] if records else None
        asked_with = ctx.get("header") or {}
        src = {"rec": first, "ctx": ctx, "header": asked_with}
        headers = {k: str(v) for k, v in fill(self.respond_headers, src, first, ctx).items()}
        if self.respond_body is None:
            return Reply(r.status, None, headers)

        def one(rec: Assessment) -> dict:
            base = dict(encode_own(rec, ctx) or {}) if r.encoded and encode_own else {}
            base.update(fill(self.respond_body, {"rec": rec, "ctx": ctx, "header": asked_with}, rec, ctx))
            return base

        if r.each:
            items = [one(rec) for rec in records]
            if self.where is not None and asked is not None:
                items = self.where(items, asked, ctx)
            return Reply(r.status, {r.each: items, **r.list_body}, headers)
        if first is None and r.encoded:  # a reply made from the record, and none came: nothing to answer about (nothing was sent)
            raise ValidationFailed([Violation(("body",), "type", input=[], expected="an object")])
        return Reply(r.status, one(first), headers)

    def learn(self, status: int, body: Any, headers: dict) -> dict:
        src = {"body": body, "header": headers, "ctx": {"status": status}}
        out: dict = {}
        for name, put, run, _ in self.learn_fields:
            try:
                v = run(src)
            except RuleViolation:
                continue
            if v is not MISSING:
                put(out, v)
        return out


def compile_path(template: str, prefixes: list[str]) -> re.Pattern:
    body = ""
    for i, piece in enumerate(_PARAM.split(template)):
        body += f"(?P<{piece}>[^/]+)" if i % 2 else re.escape(piece)
    alts = "|".join(re.escape(p.rstrip("/")) for p in sorted(set(prefixes), key=len, reverse=True))
    return re.compile(f"^(?P<_prefix>{alts}){body}/?$")


def unquote_params(params: dict[str, str]) -> dict[str, str]:
    return {k: unquote(v) for k, v in params.items() if k != "_prefix"}
