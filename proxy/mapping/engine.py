"""A vendor mapping, compiled once: match, decode, encode, respond.

    mapping = compile_vendor(spec)
    endpoint, params = mapping.match("POST", "/api/v1/spans/sp_1/evaluations")
    records = endpoint.decode(WireRequest(...), ctx)        # wire -> canonical
    requests, refused = mapping.encode(records, ctx_for)    # canonical -> wire
    reply = endpoint.respond(records, ctx)                  # the client's answer

Every function here is pure: ids, time and the registry come in through `ctx`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .. import vendors
from ..errors import EncodeError, ValidationFailed, Violation
from ..model import Assessment, Reply
from . import codegen, ir
from .checks import RuleViolation
from .conditions import compile_condition
from .decode import DECODE_ROOTS, WireRequest, compile_decodes, sources
from .fields import compile_fields, fill
from .paths import MISSING, compile_getter
from .spec import EncodeCase, Endpoint, Respond
from .where import compile_where

__all__ = [
    "DECODE_ROOTS",
    "ENCODE_ROOTS",
    "CompiledCase",
    "CompiledEndpoint",
    "WireRequest",
    "compile_path",
    "fill",
    "sources",
]

ENCODE_ROOTS = frozenset({"rec", "item", "ctx"})
RESPOND_ROOTS = ENCODE_ROOTS | {"header"}  # a reply may read the request's headers (ctx["header"]: lower-case names)
_PARAM = re.compile(r"\{(\w+)\}")


class CompiledCase:
    def __init__(self, spec: EncodeCase, endpoint: Endpoint, name: str):
        self.spec, self.endpoint, self.name = spec, endpoint, name
        conds = {**{f"rec.{k}": c for k, c in spec.accepts.items()}, **spec.when}
        tests = ir.build_when(conds, ENCODE_ROOTS, "rec")
        self.gate = codegen.gate(tests, compile_condition(conds, ENCODE_ROOTS, "rec")) if conds else (lambda src: True)
        self.checks = {k: compile_condition({f"rec.{k}": c}, ENCODE_ROOTS, "rec") for k, c in spec.accepts.items()}
        self.params = compile_fields(spec.params, ENCODE_ROOTS, "rec")
        self.query = compile_fields(spec.query, ENCODE_ROOTS, "rec")
        self.body = compile_fields(spec.body, ENCODE_ROOTS, "rec") if spec.body is not None else None
        self.group_body = compile_fields(spec.group.body, ENCODE_ROOTS, "rec") if spec.group else []
        self.each = compile_getter(spec.each, ENCODE_ROOTS, "rec")[1] if spec.each else None
        self.each_path = spec.each
        self.template = endpoint.path

    def build(self, rec: Assessment, ctx: dict) -> list[tuple[str, dict | None, Any]]:
        """-> [(path, query, body)]: one per fan-out element."""
        src = {"rec": rec, "ctx": ctx}
        elements: list[Any] = [None]
        if self.each:
            found = self.each(src)
            if isinstance(found, dict):
                elements = [{"key": k, "value": v} for k, v in found.items()]
            elif isinstance(found, (list, tuple)) or not found:
                elements = list(found or [])
            else:  # a record no decode makes (hypothesis's): refused, never a TypeError
                raise EncodeError(
                    f"{self.each_path} is {type(found).__name__}, not a list or a mapping to send one request each"
                )
        out = []
        for item in elements:
            src["item"] = item
            params = fill(self.params, src, rec, ctx)
            path = fill_path(self.template, params)
            query = fill(self.query, src, rec, ctx) or None
            body = fill(self.body, src, rec, ctx) if self.body is not None else None
            out.append((path, query, body))
        return out


def fill_path(template: str, params: dict) -> str:
    """/spans/{id}/feedback -> /spans/abc%2F1/feedback: each parameter percent-encoded."""
    return _PARAM.sub(lambda m: quote(str(params.get(m.group(1), "")), safe=""), template)


class Answer:
    """One reply an endpoint may give (spec.Respond), compiled; `when` None: the default."""

    def __init__(self, spec: Respond):
        self.spec = spec
        self.when = compile_condition(spec.when, RESPOND_ROOTS, "rec") if spec.when else None
        self.body = compile_fields(spec.body, RESPOND_ROOTS, "rec") if spec.body is not None else None
        self.headers = compile_fields(spec.headers, RESPOND_ROOTS, "rec")
        self.where = compile_where(spec.where)


class CompiledEndpoint:
    def __init__(self, name: str, spec: Endpoint, vendor: str):
        self.name, self.spec, self.vendor = name, spec, vendor
        self.method = spec.method.upper()
        self.decode = compile_decodes(spec.decodes, vendor, name)
        wire = spec.wire
        # codec functions for a wire that is not JSON (spec.Wire); None: JSON
        self.read_body = vendors.function(wire.request) if wire and wire.request else None
        self.reply_wire = vendors.function(wire.reply) if wire and wire.reply else None
        self.send_body = vendors.function(wire.send) if wire and wire.send else None
        self.cases = [CompiledCase(c, spec, name) for c in spec.encode]
        r = spec.respond
        self.answers = [Answer(c) for c in r.cases] + [Answer(r)] if r else []  # the first whose `when` holds
        self.learn_fields = compile_fields(spec.learn, DECODE_ROOTS)

    @property
    def where(self):
        """The default reply's `where` (a list's filter), or None."""
        return self.answers[-1].where if self.answers else None

    def respond(
        self, records: list[Assessment], ctx: dict, encode_own: Callable | None = None, asked: Assessment | None = None
    ) -> Reply:
        """The answer the client gets when it is synthesized rather than forwarded.

        `encode_own(rec, ctx)` gives the body this vendor's encoder makes for a
        record; a reply declared `encoded` starts from it. `asked`: the record of
        a read the proxy answers from its records; a list keeps the items `where`
        finds in it.
        """
        if not self.answers:
            return Reply(200, {})
        first = records[0] if records else None
        asked_with = ctx.get("header") or {}
        src = {"rec": first, "ctx": ctx, "header": asked_with}
        answer = next(a for a in self.answers if a.when is None or a.when(src))
        r = answer.spec
        headers = {k: str(v) for k, v in fill(answer.headers, src, first, ctx).items()}
        if answer.body is None:
            return Reply(r.status, None, headers)

        def one(rec: Assessment) -> dict:
            base = dict(encode_own(rec, ctx) or {}) if r.encoded and encode_own else {}
            base.update(fill(answer.body, {"rec": rec, "ctx": ctx, "header": asked_with}, rec, ctx))
            return base

        if r.each:
            items = [one(rec) for rec in records]
            if answer.where is not None and asked is not None:
                items = answer.where(items, asked, ctx)
            return Reply(r.status, {r.each: items, **r.list_body}, headers)
        if (
            first is None and r.encoded
        ):  # a reply made from the record, and none came: nothing to answer about (nothing was sent)
            raise ValidationFailed([Violation(("body",), "type", input=[], expected="an object")])
        return Reply(r.status, one(first), headers)

    def learn(self, status: int, body: Any, headers: dict) -> dict:
        src = {"body": body, "header": headers, "ctx": {"status": status}}
        out: dict = {}
        for _name, put, run, _ in self.learn_fields:
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
