"""One vendor's id space: foreign ids translated in, made once and remembered."""

from __future__ import annotations

import time

from .mapping import VendorMapping
from .model import Ref, Span
from .store import IdRegistry

RECORD = "record"  # the id space of the proxy's own record keys: a vendor's assessment id is an alias of one


def alias_record(store: IdRegistry, key: str, vendor: str, vendor_id: str) -> None:
    """`vendor_id` is what `vendor` calls the record kept under `key` (Scale's assessment_id of
    one the proxy created there): a client of that vendor naming it names that record."""
    store.alias_id(RECORD, key, vendor, vendor_id)


def record_key(store: IdRegistry, vendor: str, vendor_id: str) -> str | None:
    """The key of the record `vendor_id` is `vendor`'s alias of, if it is one."""
    origin = store.origin_of(vendor, vendor_id)
    return origin[1] if origin is not None and origin[0] == RECORD else None


class IdSpace:
    def __init__(self, mapping: VendorMapping, store: IdRegistry, secret: str):
        self.vendor, self.makers, self.store, self.secret = mapping.vendor, mapping.id_makers, store, secret

    def alias(self, span: Span, ms: int | None = None) -> None:
        """The ids of an accepted trace or span that this vendor takes as they are, made its
        aliases now, as its encode would make them: a client of this vendor naming one before the
        span's mirror reached it names the span (else it would get an id of its own, for good)."""
        for ref, kind in ((span.trace_id, "trace"), (span.span_id, "span"), (span.parent_id, "span")):
            if ref is not None and ref.vendor != self.vendor and self._kept(ref, kind):
                self.translate(ref, kind, ms)

    def _kept(self, ref: Ref, kind: str) -> bool:
        maker = self.makers.get(kind)
        return maker is None or maker(ref, kind, {"secret": self.secret, "now_ms": 0}) == ref.value

    def translate(self, ref: Ref, kind: str, ms: int | None = None, depth: int = 0, claims: list | None = None) -> str:
        """`ref` in this vendor's space: as is if native, else the remembered or a new derived id.
        `ms` is the event's time, for ids that carry one (Opik's UUIDv7); else now.

        An id the proxy derived from another vendor's (an Opik UUID made from a Tracia span id)
        names that vendor's entity: it is translated from that id, so a third vendor gets the
        id it already has the entity under (Scale: Tracia's span id, not the Opik UUID).

        An id this vendor takes as it is (a Tracia span id written to Scale) is remembered too, as
        this vendor's alias of the same entity: a client of this vendor naming it names the
        source's entity, and every other vendor gets the id it already has that entity under.

        With `claims` (a translated primary's send: delivery/primary.py), an id this process has
        not seen asks nothing of the store: the new id is claimed (IdRegistry.claim_id) and settled
        by the group commit before the send, which translates again where it was not kept."""
        if ref.vendor == self.vendor:
            return ref.value
        if claims is None:
            known, origin = self.store.lookup_id(ref.vendor, ref.value, self.vendor)
        else:
            found = self.store.lookup_cached(ref.vendor, ref.value, self.vendor)
            if found is None:
                return self.store.claim_id(ref.vendor, ref.value, self.vendor, self._made(ref, kind, ms), claims)
            known, origin = found
        if known is not None:
            return known
        if origin is not None and origin[0] == self.vendor:
            return origin[1]  # it was made from one of ours: give ours back
        if origin is not None and origin[0] != RECORD and depth < 3:  # a chain is short; no cycle can be made, but stop
            return self.translate(Ref(*origin), kind, ms, depth + 1, claims)
        native = self._made(ref, kind, ms)
        if native == ref.value:  # taken as it is: the same on every instance, stored with the next commit
            self.store.alias_id(ref.vendor, ref.value, self.vendor, native)
            return native
        if claims is not None:
            return self.store.claim_id(ref.vendor, ref.value, self.vendor, native, claims)
        return self.store.remember_id(ref.vendor, ref.value, self.vendor, native)

    def _made(self, ref: Ref, kind: str, ms: int | None) -> str:
        """The id this vendor's maker makes of `ref` (as it is, with no maker)."""
        maker = self.makers.get(kind)
        now_ms = ms if ms is not None else int(time.time() * 1000)
        return ref.value if maker is None else maker(ref, kind, {"secret": self.secret, "now_ms": now_ms})
