"""The id registry's reads, cached in the process, for the stores that keep it in a database.

A mapping, once made, is never changed or removed, by any instance; so what this
process has read or written stays true, and is kept (up to REGISTRY_CACHE pairs,
then the cache starts again). An absence is not kept: another instance may add
the pair a moment later. A store supplies five queries: `_select_id`,
`_insert_id` (keeps the first mapping ever made, returns the one kept),
`_select_origin` and `_select_id_and_origin` (the first and the third at once).

An alias (`alias_id`: a mapping no instance can make otherwise, as an id a vendor takes as
it is) is kept here at once and written with the store's next commit (`_taken_aliases`), not
in a transaction of its own: an Opik batch mirrored to Scale names a hundred such ids.

A claim (`claim_id`: an id a translated primary's encode made for an id this process has not
seen) is held as pending, so every request of this process in flight makes the same, and settled
by the group commit before anything made with it is sent, in one statement for all the claims of
the commit (`claim_ids`, then `_claims_settled`: the first mapping any instance made wins, an id with
an origin is translated from it). So the request path makes no
store call for a never-seen id: before, a read and a write transaction of its own, on the event
loop, for each one (bench/RESULTS.md).
"""

from __future__ import annotations

import threading

REGISTRY_CACHE = 100_000  # id mappings kept in each process (they never change); emptied when full


class CachedIds:
    def _id_caches(self) -> None:
        self._ids: dict[tuple[str, str, str], str] = {}
        self._origins: dict[tuple[str, str], tuple[str, str]] = {}
        self._aliases: list[tuple[str, str, str, str]] = []  # (vendor, value, target, native): for the next commit
        self._aliases_lock = threading.Lock()  # added to on the event loop, taken by a commit's thread
        self._pending: dict[tuple[str, str, str], str] = {}  # claims not settled yet (claim_id)
        self._pending_lock = threading.Lock()

    def id_for(self, vendor: str, value: str, target: str) -> str | None:
        key = (vendor, value, target)
        hit = self._ids.get(key)
        if hit is None and (hit := self._select_id(key)) is not None:
            _keep(self._ids, key, hit)
        return hit

    def remember_id(self, vendor: str, value: str, target: str, native: str) -> str:
        key = (vendor, value, target)
        hit = self._ids.get(key)
        return hit if hit is not None else _keep(self._ids, key, self._insert_id(key, native))

    def alias_id(self, vendor: str, value: str, target: str, native: str) -> None:
        key = (vendor, value, target)
        if self._ids.get(key) is not None:
            return
        _keep(self._ids, key, native)
        _keep(self._origins, (target, native), (vendor, value))
        with self._aliases_lock:
            self._aliases.append((vendor, value, target, native))

    def claim_id(self, vendor: str, value: str, target: str, native: str, claims: list) -> str:
        key = (vendor, value, target)
        hit = self._ids.get(key)
        if hit is not None:
            return hit
        with self._pending_lock:
            native = self._pending.setdefault(key, native)
        claims.append((vendor, value, target, native))
        return native

    def claimed(self, vendor: str, value: str, target: str) -> str | None:
        return self._ids.get((vendor, value, target))

    def _claims_to_make(self, claims: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
        """The claims of a commit, one a mapping (requests in flight claimed the same, see claim_id),
        as the rows of its `claim_ids` statement."""
        return [(*key, native) for key, native in {tuple(c[:3]): c[3] for c in claims}.items()]

    def _claims_settled(self, rows: list[tuple[str, str, str, str]], made: int) -> None:
        """Once the commit's `claim_ids` made `made` of `rows`: each claim's mapping as kept. All made
        (nearly always): ours. Else each is read back: the mapping made first (by another request or
        instance: `claimed` says so), or the origin its id was made from (the claim dropped: its id
        is translated from that origin)."""
        if made == len(rows):
            for row in rows:
                _keep(self._ids, row[:3], row[3])
            return
        for row in rows:
            known, origin = self._select_id_and_origin(row[:3])
            if known is not None:
                _keep(self._ids, row[:3], known)
            elif origin is not None:
                _keep(self._origins, row[:2], origin)

    def _claims_ended(self, claims: list[tuple[str, str, str, str]]) -> None:
        """Settled or failed: a later claim of these ids is made and settled again."""
        with self._pending_lock:
            for claim in claims:
                self._pending.pop(claim[:3], None)

    def lookup_cached(self, vendor: str, value: str, target: str) -> tuple[str | None, tuple[str, str] | None] | None:
        hit = self._ids.get((vendor, value, target))
        if hit is not None:
            return hit, None
        origin = self._origins.get((vendor, value))
        if origin is not None:
            native = self.id_for(vendor, value, target)
            return (native, None) if native is not None else (None, origin)
        return None

    def _taken_aliases(self) -> list[tuple[str, str, str, str]]:
        """The aliases kept since the last commit, for this one to write (`_put_back_aliases` if it fails)."""
        with self._aliases_lock:
            taken, self._aliases = self._aliases, []
        return taken

    def _put_back_aliases(self, rows: list[tuple[str, str, str, str]]) -> None:
        with self._aliases_lock:
            self._aliases[:0] = rows

    def lookup_id(self, vendor: str, value: str, target: str) -> tuple[str | None, tuple[str, str] | None]:
        """id_for, and origin_of(vendor, value) where that finds nothing: one query for an id never seen."""
        found = self.lookup_cached(vendor, value, target)
        if found is not None:
            return found
        key = (vendor, value, target)
        native, origin = self._select_id_and_origin(key)
        if native is not None:
            return _keep(self._ids, key, native), None
        if origin is not None:
            _keep(self._origins, (vendor, value), origin)
        return None, origin

    def origin_of(self, target: str, native: str) -> tuple[str, str] | None:
        key = (target, native)
        hit = self._origins.get(key)
        if hit is None and (hit := self._select_origin(key)) is not None:
            _keep(self._origins, key, hit)
        return hit


def id_and_origin(rows: list) -> tuple[str | None, tuple[str, str] | None]:
    """The rows of a store's `_select_id_and_origin` query, (0, native, NULL) and (1, vendor, value):
    as (native, (vendor, value)), either None where its row is missing."""
    native = next((r[1] for r in rows if r[0] == 0), None)
    origin = next(((r[1], r[2]) for r in rows if r[0] == 1), None)
    return native, origin


def _keep(cache: dict, key, value):
    if len(cache) >= REGISTRY_CACHE:
        cache.clear()
    cache[key] = value
    return value
