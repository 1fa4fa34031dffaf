"""A request's decode, compiled once: wire -> canonical records.

    decode = compile_decode(spec.decode, vendor, endpoint)
    records = decode(WireRequest(...), ctx)

The rules run as generated code (codegen_decode.decode_records): one loop over the request's
elements; where it meets something a rule refuses, the interpreter (interpret.py) runs the
rules instead and words every refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import ids, vendors
from ..errors import ValidationFailed, Violation
from ..model import ID_FIELDS, KINDS, Assessment, Ref, Span, span_key
from . import carry, codegen_decode
from .checks import RuleViolation
from .conditions import compile_condition
from .fields import compile_fields
from .paths import MISSING, compile_getter
from .refusals import Refuse, split_checks
from .rules import compile_rule

DECODE_ROOTS = frozenset({"body", "item", "path", "query", "header", "ctx"})
_NO_ITEM = ({},)  # the one element of a decode without `each`: its rules read no item


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


class CompiledDecode:
    def __init__(self, spec, vendor: str, endpoint: str):
        self.vendor, self.endpoint = vendor, endpoint
        self.each = compile_getter(spec.each, DECODE_ROOTS)[1] if spec.each else None
        self.each_loc = tuple(spec.each.split(".")) if spec.each else ()
        items = spec.items.model_copy(update={"src": spec.each}) if spec.items else None  # a rule the list itself keeps
        self.items = compile_rule(items, DECODE_ROOTS, vendors.function)[0] if items else None
        fields, checks = compile_fields(spec.fields, DECODE_ROOTS), compile_fields(spec.checks, DECODE_ROOTS)
        self.fields = [(n, run, r.id or (n if n in ID_FIELDS else None)) for n, _, run, r in fields]
        self.checks = [run for _, _, run, _ in checks]
        self.uncarry = spec.uncarry
        self.overwrites = spec.overwrites
        self.partial = spec.partial
        self.missing_ok = spec.missing_ok
        self.list_body = spec.list_body and self.each_loc == ("body",)
        self.key = spec.key
        self.kind = KINDS[spec.record]
        self.records_of = codegen_decode.decode_records(
            self.kind, fields.forms, list(checks.forms.values()), DECODE_ROOTS, vendor, spec.uncarry
        )

    def __call__(self, req: WireRequest, ctx: dict) -> list[Assessment]:
        records = self._decode(req, ctx)
        if self.key:
            for rec in records:
                rec.id = keyed_id(self.vendor, [getattr(rec, f) for f in self.key])
        return records

    def _decode(self, req: WireRequest, ctx: dict) -> list[Assessment]:
        src = sources(req, ctx)
        bad: list[Violation] = []
        listed_body = self.list_body and isinstance(req.body, list)
        if req.body is not None and not isinstance(req.body, dict) and not listed_body:
            raise ValidationFailed([Violation(("body",), "type", expected="a JSON object")])
        elements, listed = [None], False
        if self.each:
            if self.items:
                self._run(self.items, src, bad, ())
            found = self.each(src)
            if req.body is None and self.each_loc == ("body",):  # no body at all where the body is the object
                raise ValidationFailed([Violation(("body",), "missing")])
            # an object: one element
            listed = isinstance(found, list)
            elements = found if listed else [found] if isinstance(found, dict) else []
            if bad:
                raise ValidationFailed(bad)
            ctx["listed"] = listed
        # one per request: never changed in place
        origin = {"vendor": self.vendor, "endpoint": self.endpoint, "overwrites": self.overwrites}
        if self.key:  # its id is made from its key: another request may have made it already (not fresh)
            origin["keyed"] = True
        if self.missing_ok:
            origin["missing_ok"] = True
        if not self.partial or not listed:
            return self.elements(src, elements, range(len(elements)), ctx, origin, listed)
        records, accepted, rejected = [], [], []
        for i, item in enumerate(elements):  # each alone: one that breaks a rule is refused by itself
            try:
                records += self.elements(src, [item], [i], ctx, origin, listed)
            except ValidationFailed as exc:
                rejected.append((i, item, exc.violations))
            else:
                accepted.append((i, item))
        ctx["accepted"] = accepted
        if rejected:
            ctx["rejected"] = rejected
        return records

    def elements(self, src: dict, elements: list, indexes, ctx: dict, origin: dict, listed: bool) -> list:
        """The records of some of the request's elements; `indexes`: their places in the request."""
        make_id = self._make_id(ctx)
        if not isinstance(indexes, range):
            made, places = make_id, list(indexes)
            make_id = lambda j: made(places[j])  # noqa: E731
        if self.records_of is not None:
            records = self.records_of(src, elements if self.each else _NO_ITEM, make_id, origin)
            if records is not None:
                return records
        # some rule refuses an element (or nothing is generated): the interpreter says where and why
        records, bad = [], []
        for j, item in enumerate(elements):
            i = indexes[j]
            src["item"] = item
            if self.each and not isinstance(item, dict):
                bad.append(Violation((*self.each_loc, i), "type", input=item, expected="an object"))
                continue
            # where a refusal points: the element's index (an object: no index)
            prefix = ((*self.each_loc, i) if listed else self.each_loc) if self.each else ()
            values = {}
            for name, run, id_kind in self.fields:
                v = self._run(run, src, bad, prefix)
                if v is not MISSING:
                    values[name] = Ref(self.vendor, str(v)) if id_kind and not isinstance(v, Ref) else v
            for run in self.checks:
                self._run(run, src, bad, prefix)
            if not bad:
                records.append(self._record(values, make_id, j, origin))
        if bad:
            raise ValidationFailed(bad)
        return records

    @staticmethod
    def _make_id(ctx: dict) -> Callable[[int], str]:
        """A record's id from its index in the request: the pipeline's (proxy/ids.py), else the request's id and
        the index."""
        request_id = ctx.get("request_id", "r")
        return ctx.get("make_id") or (lambda index: f"{request_id}:{index}")

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

    def _record(self, values: dict, make_id: Callable[[int], str], index: int, origin: dict) -> Assessment | Span:
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
            rec.id = make_id(index)
        rec.origin = origin
        return rec


ASSESSMENT_FIELDS = set(Assessment.__dataclass_fields__)


def keyed_id(vendor: str, values: list) -> str:
    """A record's id made from what identifies it (a decode's `key`): the same values, the same
    id, on any request and any instance."""
    text = "\x1f".join(str(getattr(v, "value", v)) for v in values)
    return ids.derived_uuid7("record key", f"{vendor}\x1f{text}", 0)


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


class CasesDecode(CompiledDecode):
    """Elements of several kinds in one list (spec.Decode.cases): each is decoded by the first case
    whose `when` holds, with the fields every case shares and its own."""

    def __init__(self, spec, vendor: str, endpoint: str):
        super().__init__(spec.model_copy(update={"fields": {}, "checks": {}, "cases": []}), vendor, endpoint)
        self.cases = []
        for case in spec.cases:
            sub = spec.model_copy(
                update={
                    "record": case.record,
                    "fields": {**spec.fields, **case.fields},
                    "cases": [],
                    "checks": case.checks,
                    "ignored": case.ignored,
                    "partial": False,
                }
            )
            self.cases.append((compile_condition(case.when, DECODE_ROOTS, None), CompiledDecode(sub, vendor, endpoint)))

    def elements(self, src: dict, elements: list, indexes, ctx: dict, origin: dict, listed: bool) -> list:
        records, bad = [], []
        for j, item in enumerate(elements):
            i = indexes[j]
            src["item"] = item
            where = (*self.each_loc, i) if listed else self.each_loc
            decode = next((d for holds, d in self.cases if isinstance(item, dict) and holds(src)), None)
            if decode is None:
                bad.append(Violation(where, "type", input=item, expected="an object of a known kind"))
                continue
            try:
                records += decode.elements(src, [item], [i], ctx, origin, listed)
            except ValidationFailed as exc:
                bad += exc.violations
        if bad:
            raise ValidationFailed(bad)
        return records


class Decodes:
    """Several decodes of one request (an endpoint's `decode` and `also_decode`): their records in order.
    Each part's record ids continue the numbering of the parts before it, so no two records of
    the request share one."""

    def __init__(self, parts: list[CompiledDecode]):
        self.parts = parts
        self.kind = parts[0].kind  # the first part's: what a reader of one kind asks (back-fill)

    def __call__(self, req: WireRequest, ctx: dict) -> list:
        records: list = []
        make_id = CompiledDecode._make_id(ctx)
        for part in self.parts:
            start = len(records)
            records += part(req, {**ctx, "make_id": lambda index, start=start: make_id(start + index)})
        return records


def compile_decodes(specs: list, vendor: str, endpoint: str) -> CompiledDecode | Decodes | None:
    """An endpoint's decode (spec.Endpoint.decodes): none, one, or several in order."""
    parts = [compile_decode(spec, vendor, endpoint) for spec in specs]
    return None if not parts else parts[0] if len(parts) == 1 else Decodes(parts)


def compile_decode(spec, vendor: str, endpoint: str) -> CompiledDecode:
    if spec.cases:
        return CasesDecode(spec, vendor, endpoint)
    plain, refuse = split_checks(spec.checks)
    if refuse is None:
        return CompiledDecode(spec, vendor, endpoint)
    return CheckedDecode(spec.model_copy(update={"checks": plain}), vendor, endpoint, refuse)
