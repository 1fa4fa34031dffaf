"""One configured upstream, ready to receive canonical records.

A Target knows its mapping, its credentials and the store, and so can build
each record's encoding context: ids translated into its vendor's space, and
the assessment id it gave a record before (so a re-send becomes an update).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from .. import jsonio
from ..codecs import core
from ..config import Upstream
from ..errors import EncodeError, ProxyError, UpstreamError
from ..idspace import IdSpace, alias_record
from ..mapping import VendorMapping
from ..model import Assessment, OutRequest, Span, replace, span_key
from ..roots import root_of
from ..store import Lookups, codec
from ..store.writes import Writes
from ..upstream import Response, Transport

KNOWN_CACHE = 100_000  # learned ids kept per upstream in each process; emptied when full


class Target:
    def __init__(
        self,
        name: str,
        upstream: Upstream,
        mapping: VendorMapping,
        store: Lookups,
        secret: str,
        overrides: list = (),
        known: dict[str, str] | None = None,
    ):
        self.name, self.upstream, self.mapping, self.store = name, upstream, mapping, store
        self.vendor = mapping.vendor
        self.secret = secret
        self.overrides = list(overrides)
        self.headers = {k: v for k, v in upstream.headers.items() if v != ""}
        self.translate = IdSpace(mapping, store, secret).translate
        self.traces_are_spans = mapping.declared_loss(Span(entity="trace")) is not None  # no trace object (Tracia)
        # What this upstream called records, as this process learned or read it: seen at once by
        # the next request (the store has it only once the group commit ran), and never changed.
        self.known = known if known is not None else {}

    def with_overrides(self, overrides: list) -> Target:
        if not overrides:
            return self
        return Target(self.name, self.upstream, self.mapping, self.store, self.secret, overrides, self.known)

    def learned(self, record_id: str) -> str | None:
        hit = self.known.get(record_id)
        if hit is None and (hit := self.store.learned(self.name, record_id)) is not None:
            self._keep(record_id, hit)
        return hit

    def _keep(self, record_id: str, vendor_id: str) -> None:
        if len(self.known) >= KNOWN_CACHE:
            self.known.clear()
        self.known[record_id] = vendor_id

    # --- records ---------------------------------------------------------
    def ready(self, rec, fresh: bool = False, claims: list | None = None) -> tuple[Assessment, dict[str, Any]]:
        """The record as this upstream can act on it (`prepare`), and its encoding context;
        what this upstream called the record is looked up once for both. A `fresh` record,
        made by the request at hand, has had no name from any upstream: nothing to look up."""
        known = None if fresh else self.learned(rec.id)
        ready = self._with_root_it_has(self.prepare(rec, known))
        return ready, self._ctx(ready, known, claims)

    def _with_root_it_has(self, rec):
        """An upstream with no trace object (its spans carry the trace: Tracia) takes a trace's
        score on the trace's root span (roots.py), and only once it has that span, as a span's
        score waits for its span (worker.py): until then the record names no root here, and waits."""
        if not self.traces_are_spans or isinstance(rec, Span) or rec.entity != "trace" or rec.root_span_id is not None:
            return rec
        root = root_of(self.store, rec.trace_id) if rec.trace_id is not None else None
        if root is None:
            return rec
        span = span_key(root.vendor, "span", root.value)
        if root.vendor != self.vendor and self.store.delivered(self.name, span) is None:
            return rec  # this upstream does not have the span yet
        return replace(rec, root_span_id=root)

    def _ctx(self, rec, known: str | None, claims: list | None = None) -> dict[str, Any]:
        """`claims`: new ids are claimed, not remembered (IdSpace.translate)."""
        ms = event_ms(getattr(rec, "start_time", None))
        if ms is None and claims is None:
            translate = self.translate
        else:

            def translate(ref, kind):
                return self.translate(ref, kind, ms, claims=claims)

        return {"translate": translate, "now_iso": now_iso(), "vendor_id": known}

    @staticmethod
    def prepare(rec: Assessment, known: str | None) -> Assessment:
        """Turn an update/removal, or a re-sent score, into what this upstream can act on.

        Where this upstream gave the assessment an id of its own (`known`), act on that id
        (update / remove); where it did not, act by entity and name (upsert / delete).
        """
        if rec.op == "upsert":
            return replace(rec, op="update") if known else rec
        if rec.op == "update":
            return rec if known else replace(rec, op="upsert")
        if rec.op == "remove":
            return rec if known else replace(rec, op="delete")
        return rec

    def declared_loss(self, rec, fresh: bool = False) -> str | None:
        """Why this upstream's mapping says it cannot take the record at all; None if some case can.
        A case that only skips it (nothing to send) does not take it: where the mapping declares
        the loss too, it is one (a Tracia primary skips a trace; no outbox queues it for Tracia)."""
        return self._loss(*self.ready(rec, fresh))

    def lacks_its_span(self, rec, fresh: bool = False) -> str | None:
        """Why this upstream cannot take an assessment about a span the proxy has not seen (no trace
        was found for it) until the span arrives, where its encoding lacks what the span brings
        (Scale needs the trace); None where it can take it as it is."""
        return self._lacks(*self.ready(rec, fresh)) if _about_an_unseen_span(rec) else None

    def refusals(self, rec, fresh: bool = False) -> tuple[str | None, str | None]:
        """(declared_loss, lacks_its_span) from one `ready`, as Outbox.stage asks each mirror (a loss lacks nothing)."""
        ready, ctx = self.ready(rec, fresh)
        loss = self._loss(ready, ctx)
        return loss, (self._lacks(ready, ctx) if loss is None and _about_an_unseen_span(rec) else None)

    def _loss(self, ready, ctx: dict) -> str | None:
        case = self.mapping.pick(ready, ctx, self.overrides)
        if case is not None and not case.spec.skip:
            return None
        return self.mapping.declared_loss(ready)

    def _lacks(self, ready, ctx: dict) -> str | None:
        ctx = {**ctx, "translate": _as_it_is}  # a trial: no id is made or remembered for it (the worker's encode does)
        _, refused = self.mapping.encode([ready], lambda _: ctx, self.overrides)
        return next((why for _, why in refused if getattr(why, "missing", None)), None)

    def takes_once_named(self, rec) -> bool:
        """Whether some case takes the record once this upstream has named it (what a delete by name
        becomes when the upstream's id for the assessment is known: Scale's DELETE by assessment_id)."""
        ready = self.prepare(rec, "named")
        case = self.mapping.pick(ready, self._ctx(ready, "named"), self.overrides)
        return case is not None and not case.spec.skip

    def encode(
        self, records: list[Assessment], fresh: frozenset[str] = frozenset(), claims: list | None = None
    ) -> tuple[list[OutRequest], list[tuple[Assessment, str]]]:
        """`fresh`: the ids of records the request at hand made (see ready). `claims`: the new ids
        the encoding made are claimed there, to be settled before the send (IdSpace.translate)."""
        pairs = [self.ready(r, r.id in fresh, claims) for r in records]
        contexts = {id(ready): ctx for ready, ctx in pairs}
        return self.mapping.encode([ready for ready, _ in pairs], lambda ready: contexts[id(ready)], self.overrides)

    def delivered(self, records: list, writes: Writes) -> None:
        """A print of each record this upstream now has all of: never sent to it again (worker.py)."""
        writes.delivered += [(self.name, r.id, codec.fingerprint(r)) for r in records]
        writes.arrived += [(self.name, r.id) for r in records if isinstance(r, Span)]  # what waits for it here: due now

    def learn_from(self, req: OutRequest, resp: Response, writes: Writes) -> None:
        """The id the upstream gave the record it created, if its answer names one
        (its mapping's `learn: vendor_id`, e.g. Scale's assessment_id)."""
        endpoint = self.mapping.endpoints.get(req.endpoint)
        if endpoint is None or not endpoint.learn_fields or not 200 <= resp.status < 300 or len(req.records) != 1:
            return
        learned = endpoint.learn(resp.status, jsonio.parse_or_none(resp.body), resp.headers)
        if learned.get("vendor_id"):
            rec, vendor_id = req.records[0], str(learned["vendor_id"])
            writes.learned.append((self.name, rec.id, vendor_id))
            self._keep(rec.id, vendor_id)
            if isinstance(rec, Assessment):
                alias_record(self.store, rec.vendor_id or rec.id, self.vendor, vendor_id)

    def rejected(self, req: OutRequest, resp: Response) -> dict[str, str]:
        """The records a 2xx answer to a batch refused (its mapping's `rejects`: a 207's errors),
        by record id, each with the upstream's message."""
        endpoint = self.mapping.endpoints.get(req.endpoint)
        spec = endpoint.spec.rejects if endpoint is not None else None
        if spec is None or not req.item_records:
            return {}
        answer = jsonio.parse_or_none(resp.body)
        errors = answer.get(spec.items) if isinstance(answer, dict) else None
        if not isinstance(errors, list) or not errors:
            return {}
        into = next((c.group.into for c in endpoint.spec.encode if c.group), None)
        sent = req.body.get(into) if isinstance(req.body, dict) and into else None
        by_key = {
            item.get(spec.key): rec
            for item, rec in zip(sent or [], req.item_records, strict=False)
            if isinstance(item, dict)
        }
        out: dict[str, str] = {}
        for error in errors:
            rec = by_key.get(error.get(spec.id)) if isinstance(error, dict) else None
            if rec is not None:
                why = ": ".join(str(error[k]) for k in spec.message if error.get(k) is not None)
                out[rec.id] = f"{out[rec.id]}; {why}" if rec.id in out else why
        return out

    # --- creates that are not idempotent (README, Delivery) ------------------------------
    def creates(self, req: OutRequest) -> bool:
        """Whether the request makes a new object at each call (its mapping says `creates`)."""
        endpoint = self.mapping.endpoints.get(req.endpoint)
        return endpoint is not None and endpoint.spec.creates

    def can_reconcile(self, req: OutRequest) -> bool:
        """Whether this vendor can be asked what such a create already made (its mapping's `reconcile`)."""
        endpoint = self.mapping.endpoints.get(req.endpoint)
        return endpoint is not None and endpoint.spec.reconcile is not None

    async def reconcile(self, transport: Transport, req: OutRequest) -> Response | None:
        """What the vendor holds that this create made, if it arrived before: the object as the
        vendor lists it, as a 2xx answer (learn_from takes its id as from the create's answer),
        or None: nothing there, send it. An object another record already holds is not this one
        (two records of the same content). A list that fails raises UpstreamError."""
        spec = self.mapping.endpoints[req.endpoint].spec.reconcile
        lister = self.mapping.endpoints[spec.list].spec
        body = req.body if isinstance(req.body, dict) else {}
        query = {param: body[key] for param, key in spec.query.items() if body.get(key) is not None}
        resp = await self.send(transport, OutRequest(lister.method, lister.path, None, query, spec.list, req.records))
        if resp.status >= 300:
            raise UpstreamError(
                f"{self.name} answered {resp.status} to the read-back {lister.method} {lister.path}: "
                f"{resp.body[:300].decode(errors='replace')}"
            )
        listed = jsonio.parse_or_none(resp.body)
        found = [
            item
            for item in (listed.get(spec.items) if isinstance(listed, dict) else None) or []
            if isinstance(item, dict) and all(item.get(k) == body[k] for k in spec.match if k in body)
        ]
        learn = self.mapping.endpoints[req.endpoint]
        for item in found:
            vendor_id = str(learn.learn(200, item, {}).get("vendor_id") or "")
            held = await asyncio.to_thread(self.store.learned_by, self.name, vendor_id) if vendor_id else "?"
            if held is None and vendor_id not in self.known.values():  # no await from here to learn_from's _keep
                return Response(200, {}, jsonio.dumps(item))
        return None

    # --- wire ------------------------------------------------------------
    async def send(self, transport: Transport, req: OutRequest) -> Response:
        url = self.upstream.base_url + req.path
        if req.query:
            from urllib.parse import urlencode

            url += "?" + urlencode(req.query)
        endpoint = self.mapping.endpoints.get(req.endpoint)
        if req.body is None:
            body, headers = None, dict(self.headers)
        elif endpoint is not None and endpoint.send_body is not None:  # a wire that is not JSON (spec.Wire)
            try:
                body, content_type = endpoint.send_body(req.body, self.upstream.options)
            except (ProxyError, ValueError, TypeError) as exc:
                why = getattr(exc, "message", exc)
                raise EncodeError(f"{req.endpoint}: its body cannot be written: {why}") from None
            headers = {"content-type": content_type, **self.headers}
        else:
            body, headers = jsonio.dumps(req.body), {"content-type": "application/json", **self.headers}
        return await transport.send(req.method, url, headers, body, self.upstream.timeout)


def _about_an_unseen_span(rec) -> bool:  # an assessment about a span whose trace the proxy has not found
    return isinstance(rec, Assessment) and rec.span_id is not None and rec.trace_id is None


def _as_it_is(ref, kind: str) -> str:
    return ref.value


def event_ms(iso: str | None) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 time, or None."""
    if not iso:
        return None
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def now_iso() -> str:
    """The time now, ISO 8601 UTC to the millisecond (asked for per request and per record)."""
    return core.iso_ms(time.time_ns() // 1_000_000)
