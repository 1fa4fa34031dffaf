"""What a record is about, in terms of what the proxy accepted before.

An update or removal names an assessment by the id the client was given; a
score that overwrites by name is the same assessment as the earlier one with
that entity and name. The Resolver turns both into complete records, and
remembers what was accepted so later requests (and reads) can find it.
"""

from __future__ import annotations

from . import jsonio
from .errors import NotFound
from .idspace import RECORD, record_key
from .mapping import VendorMapping
from .mapping.engine import CompiledEndpoint
from .model import FIELDS, SPAN_FIELDS, Assessment, Ref, Reply, Span, replace
from .roots import remember_root
from .store import IdRegistry, Lookups
from .store.writes import Writes

_MERGED = tuple(
    f for f in FIELDS if f not in ("op", "id", "origin", "entity", "trace_id", "span_id", "thread_id", "vendor_id")
)


class Resolver:
    def __init__(self, store: Lookups):
        self.store = store

    def resolve(self, records: list, strict: bool) -> list:
        out = []
        for rec in records:
            if isinstance(rec, Span):
                out.append(merge_span(self.store.get_span(rec.id), rec))
            elif rec.op in ("update", "remove"):
                key, stored = self.accepted(rec.origin.get("vendor"), rec.vendor_id)
                if stored is None:
                    if strict and not rec.origin.get("missing_ok"):
                        raise NotFound(f"no assessment with id {rec.vendor_id!r}")
                    continue
                if rec.op == "update":
                    out.append(_merged(stored, rec, key))
                else:
                    out.append(replace(stored, op="remove", vendor_id=key))
            elif rec.op == "upsert" and rec.vendor_id:
                # a client naming its own assessment by an id it chose: a re-send of that id is that assessment
                _, stored = self.accepted(rec.origin.get("vendor"), rec.vendor_id)
                out.append(replace(rec, id=stored.id) if stored is not None else rec)
            elif (
                (rec.op == "upsert" and rec.origin.get("overwrites") or rec.op == "delete")
                and rec.name
                and rec.entity_ref is not None
            ):
                # the same assessment as the one accepted before under this entity and name,
                # so an upstream that gave it an id of its own can update or delete that one
                prior = self.prior(rec)
                # the same assessment since it was first given: its time too (where a vendor keys a score by
                # its day, a re-score the next day is still that score)
                out.append(replace(rec, id=prior.id, created_at=prior.created_at or rec.created_at) if prior else rec)
            else:
                out.append(rec)
        return [with_trace(self.store, r) for r in out]

    def prior(self, rec: Assessment) -> Assessment | None:
        """The assessment accepted before under `rec`'s entity and name: named by the same id, or
        by the id it is an alias or a derivation of (an Opik score on the Opik UUID of a Tracia
        span is the Tracia evaluation of that span with that name)."""
        ref, name = rec.entity_ref, rec.name
        if ref is None or not name:
            return None
        prior = self.store.record_named(str(ref), name)
        origin = self.store.origin_of(ref.vendor, ref.value) if prior is None and isinstance(ref, Ref) else None
        return self.store.record_named(origin[1], name) if origin is not None and origin[0] != RECORD else prior

    def accepted(self, vendor: str | None, vendor_id: str) -> tuple[str, Assessment | None]:
        """(the key, the record) an assessment id names: the record accepted under it, or the one
        it is `vendor`'s alias of (Scale's id of an assessment the proxy created there)."""
        stored = self.store.get_record(vendor_id)
        key = record_key(self.store, vendor, vendor_id) if stored is None and vendor is not None else None
        return (key, self.store.get_record(key)) if key is not None else (vendor_id, stored)

    def remember(self, resolved: list[Assessment], keys: list[str] | None, writes: Writes) -> None:
        """Keep what was accepted, so later requests and reads find it: spans now (merged with
        what another request may have added meanwhile), assessments in `writes`."""
        for i, rec in enumerate(resolved):
            if isinstance(rec, Span):
                # merged again: another request may have changed it meanwhile
                merged = merge_span(self.store.get_span(rec.id), rec)
                self.store.put_span(rec.id, merged)
                remember_root(self.store, merged)
                continue
            key = (keys[i] if keys and i < len(keys) else None) or rec.vendor_id or rec.id
            if rec.op == "remove":
                writes.records.append((key, None))
            elif rec.op == "delete":
                for name in rec.names or [rec.name]:
                    gone = self.store.record_named(str(rec.entity_ref), name) if name else None
                    if gone is not None:
                        writes.records.append((gone.vendor_id or gone.id, None))
            elif rec.op in ("upsert", "update", "comment"):
                writes.records.append(
                    (key, replace(rec, op="comment" if rec.op == "comment" else "upsert", vendor_id=key))
                )

    def keys_from_primary(
        self, mapping: VendorMapping, endpoint: CompiledEndpoint, reply: Reply, resolved: list[Assessment]
    ) -> list[str] | None:
        """A same-vendor primary names what it created (its mapping's `learn: vendor_id`: Scale's assessment_id)."""
        if reply.status >= 300 or not endpoint.learn_fields or len(resolved) != 1:
            return None
        body = jsonio.parse_or_none(reply.body) if isinstance(reply.body, bytes) else reply.body
        learned = endpoint.learn(reply.status, body, reply.headers)
        return [str(learned["vendor_id"])] if learned.get("vendor_id") else None

    @staticmethod
    def as_shown(resolved: list[Assessment], records: list[Assessment]) -> list[Assessment]:
        """The records as the client's reply shows them: under the ids the client knows."""
        if len(resolved) != len(records):
            return records
        return [
            replace(r, vendor_id=o.vendor_id) if getattr(o, "vendor_id", None) else r
            for r, o in zip(resolved, records, strict=True)
        ]

    def read(
        self, mapping: VendorMapping, endpoint: CompiledEndpoint, query: Assessment, ctx: dict, translate
    ) -> Reply:
        ctx = {**ctx, "translate": translate}
        if query.op == "read":
            _, stored = self.accepted(mapping.vendor, query.vendor_id)
            if stored is None:
                raise NotFound(f"no assessment with id {query.vendor_id!r}")
            return mapping.respond(endpoint, [replace(stored, vendor_id=query.vendor_id)], ctx)
        about = query.span_id or query.trace_id
        found = self.store.records_about(about.value) if about is not None else []
        if query.span_id is not None:
            found = [r for r in found if r.span_id is not None and r.span_id.value == query.span_id.value]
        return mapping.respond(endpoint, found, ctx, asked=query)


def merge_span(known: Span | None, news: Span) -> Span:
    """A span's create and updates, in whatever order they came, as one record."""
    if known is None:
        return news
    changes = {
        f: getattr(news, f) for f in SPAN_FIELDS if f not in ("op", "id", "origin") and getattr(news, f) is not None
    }
    if isinstance(known.metadata, dict) and isinstance(news.metadata, dict):  # objects merge; a list or a text replaces
        changes["metadata"] = {**known.metadata, **news.metadata}
    return replace(known, **changes)


def refresh(store: IdRegistry, rec):
    """The newest that is known of a record waiting in the outbox: a span's latest merged
    state, an assessment's trace once its span has been seen."""
    if isinstance(rec, Span):
        return store.get_span(rec.id) or rec
    return with_trace(store, rec)


def with_trace(store: IdRegistry, rec):
    """An assessment about a span names the span's trace where the proxy has seen the span
    (Scale requires a trace id; Opik span scores and Tracia evaluations give only the span)."""
    if isinstance(rec, Span) or rec.trace_id is not None or rec.span_id is None:
        return rec
    span = store.span_named(rec.span_id.vendor, rec.span_id.value)  # or the span its id was derived from
    if span is None or span.trace_id is None:
        return rec
    return replace(rec, trace_id=span.trace_id, project=rec.project or span.project)


def _merged(stored: Assessment, patch: Assessment, key: str) -> Assessment:
    changes = {f: getattr(patch, f) for f in _MERGED if getattr(patch, f) is not None}
    return replace(stored, op="update", vendor_id=key, **changes)
