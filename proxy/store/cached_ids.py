"""The id registry's reads, cached in the process, for the stores that keep it in a database.

A mapping, once made, is never changed or removed, by any instance; so what this
process has read or written stays true, and is kept (up to REGISTRY_CACHE pairs,
then the cache starts again). An absence is not kept: another instance may add
the pair a moment later. A store supplies three queries: `_select_id`,
`_insert_id` (keeps the first mapping ever made, returns the one kept) and
`_select_origin`.
"""

from __future__ import annotations

REGISTRY_CACHE = 100_000  # id mappings kept in each process (they never change); emptied when full


class CachedIds:
    def _id_caches(self) -> None:
        self._ids: dict[tuple[str, str, str], str] = {}
        self._origins: dict[tuple[str, str], tuple[str, str]] = {}

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

    def origin_of(self, target: str, native: str) -> tuple[str, str] | None:
        key = (target, native)
        hit = self._origins.get(key)
        if hit is None and (hit := self._select_origin(key)) is not None:
            _keep(self._origins, key, hit)
        return hit


def _keep(cache: dict, key, value):
    if len(cache) >= REGISTRY_CACHE:
        cache.clear()
    cache[key] = value
    return value
