"""A whole vendor mapping compiled: route matching, encoding with grouping, errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from .. import jsonio, vendors
from ..errors import ConfigError, EncodeError, Refusal, Violation
from ..model import Assessment, OutRequest, Reply, replace
from .engine import CompiledCase, CompiledEndpoint, compile_path, fill
from .path_table import PathTable
from .spec import EncodeCase
from .vendor_spec import VendorSpec

CtxFor = Callable[[Assessment], dict]


class Override(EncodeCase):
    endpoint: str  # which endpoint of the target vendor this case encodes for


class VendorMapping:
    def __init__(self, spec: VendorSpec):
        self.spec, self.vendor = spec, spec.vendor
        self.endpoints = {n: CompiledEndpoint(n, e, spec.vendor) for n, e in spec.endpoints.items()}
        self.cases = [c for e in self.endpoints.values() for c in e.cases]
        self._error = vendors.function(spec.error)
        self._errors = {n: vendors.function(e.error) for n, e in spec.endpoints.items() if e.error}  # endpoints' own
        self.id_makers = {kind: vendors.function(fn) for kind, fn in spec.ids.items()}
        # Literal paths before templated ones, so /traces/threads/... beats /traces/{id}/...
        order = sorted(self.endpoints.values(), key=lambda e: (e.spec.path.count("{"), -len(e.spec.path)))
        self.routes = [(e.method, compile_path(e.spec.path, spec.prefixes), e) for e in order]  # in the order to try
        by_method: dict[str, list] = {}  # the same, per method: a request tries only its method's
        for method, rx, endpoint in self.routes:
            by_method.setdefault(method, []).append((rx, endpoint))
        self._by_method = {method: PathTable(routes) for method, routes in by_method.items()}
        self._owns = [re.compile(p) for p in spec.owns]
        for name, e in spec.endpoints.items():
            if e.reconcile is not None and e.reconcile.list not in spec.endpoints:
                raise ConfigError(
                    f"{spec.vendor} {name}: reconcile.list names no endpoint {e.reconcile.list!r}; "
                    f"known: {', '.join(spec.endpoints)}"
                )

    def match(self, method: str, path: str) -> tuple[CompiledEndpoint, dict[str, str], str] | None:
        """-> (endpoint, path params, the prefix the client used) or None."""
        table = self._by_method.get(method)
        return table.match(path) if table is not None else None

    def path_known(self, path: str) -> bool:
        return any(rx.match(path) for _, rx, _ in self.routes)

    def prefix_of(self, path: str) -> str:
        """The longest of this vendor's prefixes that `path` starts with."""
        return max(
            (p.rstrip("/") for p in self.spec.prefixes if path.startswith(p.rstrip("/") + "/")), key=len, default=""
        )

    def owns(self, path: str) -> int:
        """How strongly this vendor claims a path it has no endpoint for (0: not at all)."""
        return max((len(m.group(0)) for m in (rx.match(path) for rx in self._owns) if m), default=0)

    def compile_overrides(self, cases: Iterable[dict], where: str) -> list[CompiledCase]:
        out = []
        for i, raw in enumerate(cases):
            try:
                case = Override.model_validate(raw)
            except ValidationError as exc:
                raise ConfigError(f"{where}[{i}]: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
            endpoint = self.endpoints.get(case.endpoint)
            if endpoint is None:
                raise ConfigError(
                    f"{where}[{i}].endpoint: {self.vendor} has no endpoint {case.endpoint!r}; known: "
                    f"{', '.join(self.endpoints)}"
                )
            out.append(
                CompiledCase(
                    EncodeCase.model_validate(case.model_dump(exclude={"endpoint"}, by_alias=True, exclude_unset=True)),
                    endpoint.spec,
                    endpoint.name,
                )
            )
        return out

    def pick(self, rec: Assessment, ctx: dict, overrides: list[CompiledCase] = ()) -> CompiledCase | None:
        picked = self.pick_all(rec, ctx, overrides)
        return picked[0] if picked else None

    def pick_all(self, rec, ctx: dict, overrides: list[CompiledCase] = ()) -> list[CompiledCase]:
        """The first case that takes the record, and the next ones while a taken case says `also`."""
        src = {"rec": rec, "ctx": ctx}
        out: list[CompiledCase] = []
        for case in (*overrides, *self.cases):
            if case.gate(src):
                out.append(case)
                if not case.spec.also:
                    break
        return out

    def encode(
        self, records: list[Assessment], ctx_for: CtxFor, overrides: list[CompiledCase] = ()
    ) -> tuple[list[OutRequest], list[tuple[Assessment, str]]]:
        """Canonical records -> requests; records it cannot write come back with the reason.

        A record taken by a `skip` case comes back too, its reason marked `skip`
        (see `skipped`): there is nothing to send for it, and nothing is wrong."""
        out: list[OutRequest] = []
        refused: list[tuple[Assessment, str]] = []
        groups: dict[tuple, list] = {}
        for rec in records:
            ctx = ctx_for(rec)
            cases = self.pick_all(rec, ctx, overrides)
            if not cases:
                refused.append((rec, self.why_not(rec)))
                continue
            sending = [c for c in cases if not c.spec.skip]
            if not sending:
                refused.append((rec, skip_reason(f"{self.vendor} {cases[0].name}: {cases[0].spec.skip}")))
                continue
            cases = sending
            try:
                built = [(case, case.build(rec, ctx)) for case in cases]
            except EncodeError as exc:
                refused.append((rec, Refusal.of(f"{self.vendor} {cases[-1].name}: {exc.message}", exc.missing)))
                continue
            for case, made in built:
                self._collect(case, rec, ctx, made, out, groups)
        for _key, (case, method, path, query, items) in groups.items():
            out.extend(_grouped(case, method, path, query, items))
        return out, refused

    def own_body(self, rec: Assessment, ctx: dict) -> dict | None:
        """The body this vendor's first matching encoder makes for a record (for replies)."""
        if rec.op in ("update", "remove"):
            rec = replace(rec, op="upsert")
        case = self.pick(rec, ctx)
        if case is None or case.body is None:
            return None
        try:
            built = case.build(rec, ctx)
        except EncodeError:
            return None
        return built[0][2] if built else None

    def _reused(self, case: CompiledCase, rec: Assessment, ctx: dict) -> dict:
        body = self.own_body(rec, ctx) or {}
        return {k: v for k, v in body.items() if k not in case.spec.omit}

    def respond(
        self, endpoint: CompiledEndpoint, records: list[Assessment], ctx: dict, asked: Assessment | None = None
    ) -> Reply:
        """`asked`: the record of a read answered from the proxy's records (a list's `where` reads it)."""
        return endpoint.respond(records, ctx, self.own_body, asked)

    def declared_loss(self, rec) -> str | None:
        """Why this vendor cannot take such a record at all, where its mapping says so."""
        u = self.spec.unsupported
        return u.get(f"{rec.op}:{rec.entity}") or u.get(rec.op)

    def why_not(self, rec) -> str:
        return (
            self.declared_loss(rec)
            or self._closest_miss(rec)
            or f"{self.vendor} has no endpoint for {rec.op} on a {rec.entity}"
        )

    def _closest_miss(self, rec) -> str | None:
        """For a record of an op and entity some case takes: the conditions it failed."""
        src = {"rec": rec, "ctx": {}}
        misses = []
        for case in self.cases:
            acc = case.spec.accepts
            if all(k not in acc or case.checks[k](src) for k in ("op", "entity")):
                failed = [k for k in acc if k not in ("op", "entity") and not case.checks[k](src)]
                if failed:
                    misses.append((len(failed), case, failed))
        if not misses:
            return None
        _, case, failed = min(misses, key=lambda m: m[0])
        needs = ", ".join(f"{k} {_say(case.spec.accepts[k])}" for k in failed)
        return f"{self.vendor} {case.name} needs a record with {needs}"

    def _collect(self, case: CompiledCase, rec, ctx: dict, made: list, out: list, groups: dict) -> None:
        method = self.endpoints[case.name].method
        if case.spec.reuse:
            made = [(path, query, self._reused(case, rec, ctx)) for path, query, _ in made]
        for path, query, body in made:
            if case.spec.group:
                key = (case.name, path, jsonio.sorted_key(query), id(case))
                groups.setdefault(key, [case, method, path, query, []])[4].append((body, rec, ctx))
            else:
                out.append(OutRequest(method, path, body, query, case.name, [rec]))

    def error(
        self, status: int, code: str, message: str, violations: list[Violation] = (), endpoint: str | None = None
    ) -> Reply:
        """The error in this vendor's shape: `endpoint`'s own where its mapping gives it one."""
        body = self._errors.get(endpoint, self._error)(status, code, message, list(violations))
        return body if isinstance(body, Reply) else Reply(status, body)


def skip_reason(text: str) -> Refusal:
    """A reason not to send a record that is not a failure: the caller settles it as done."""
    out = Refusal.of(text)
    out.skip = True
    return out


def skipped(why) -> bool:
    """Whether an encode refusal is a `skip` (settle as done) rather than a failure."""
    return bool(getattr(why, "skip", False))


def _say(cond) -> str:
    if cond.exists is not None:
        return "present" if cond.exists else "absent"
    if cond.isin is not None:
        return "in " + ", ".join(map(str, cond.isin))
    return f"= {cond.eq}" if cond.eq is not None else f"!= {cond.ne}"


def _grouped(case: CompiledCase, method: str, path: str, query: Any, items: list) -> list[OutRequest]:
    g = case.spec.group
    out = []
    for start in range(0, len(items), g.max):
        chunk = items[start : start + g.max]
        body: dict = {}
        if case.group_body:
            first_rec, first_ctx = chunk[0][1], chunk[0][2]
            body = fill(case.group_body, {"rec": first_rec, "ctx": first_ctx}, first_rec, first_ctx)
        body[g.into] = [b for b, _, _ in chunk]
        recs = list({id(r): r for _, r, _ in chunk}.values())
        out.append(OutRequest(method, path, body, query, case.name, recs, [r for _, r, _ in chunk]))
    return out
