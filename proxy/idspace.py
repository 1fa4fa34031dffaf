"""One vendor's id space: foreign ids translated in, made once and remembered."""

from __future__ import annotations

import time

from .mapping import VendorMapping
from .model import Ref
from .store import Store


class IdSpace:
    def __init__(self, mapping: VendorMapping, store: Store, secret: str):
        self.vendor, self.makers, self.store, self.secret = mapping.vendor, mapping.id_makers, store, secret

    def translate(self, ref: Ref, kind: str, ms: int | None = None, depth: int = 0) -> str:
        """`ref` in this vendor's space: as is if native, else the remembered or a new derived id.
        `ms` is the event's time, for ids that carry one (Opik's UUIDv7); else now.

        An id the proxy derived from another vendor's (an Opik UUID made from a Tracia span id)
        names that vendor's entity: it is translated from that id, so a third vendor gets the
        id it already has the entity under (Scale: Tracia's span id, not the Opik UUID)."""
        if ref.vendor == self.vendor:
            return ref.value
        known, origin = self.store.lookup_id(ref.vendor, ref.value, self.vendor)
        if known is not None:
            return known
        if origin is not None and origin[0] == self.vendor:
            return origin[1]  # it was made from one of ours: give ours back
        if origin is not None and depth < 3:  # a chain of derivations is short; a cycle cannot be made, but stop anyway
            return self.translate(Ref(*origin), kind, ms, depth + 1)
        maker = self.makers.get(kind)
        if maker is None:
            return ref.value
        native = maker(ref, kind, {"secret": self.secret, "now_ms": ms if ms is not None else int(time.time() * 1000)})
        if native == ref.value:
            return native
        return self.store.remember_id(ref.vendor, ref.value, self.vendor, native)
