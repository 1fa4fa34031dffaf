"""A dry run's store: reads see the configured store (what is already delivered, the ids
already made), writes stay in memory and are gone at exit. So a dry run resolves, names
and translates records exactly as the real run would, and changes nothing."""

from __future__ import annotations

from ..mapping.explain import leaves
from ..store import MemoryStore
from ..store.interfaces import span_named

_WRITES = ("enqueue", "claim", "done", "retry", "bury", "replay", "drop", "save_checkpoint", "prune_replies")


class DryStore:
    def __init__(self, base):
        self.base, self.top = base, MemoryStore()

    def __getattr__(self, name: str):
        if name in _WRITES:
            raise RuntimeError(f"dry run: the store's {name} must not be called")
        return getattr(self.base, name)

    # id registry: what this run makes, over what the store has
    def id_for(self, vendor: str, value: str, target: str) -> str | None:
        return self.top.id_for(vendor, value, target) or self.base.id_for(vendor, value, target)

    def remember_id(self, vendor: str, value: str, target: str, native: str) -> str:
        return self.base.id_for(vendor, value, target) or self.top.remember_id(vendor, value, target, native)

    def alias_id(self, vendor: str, value: str, target: str, native: str) -> None:
        if self.base.id_for(vendor, value, target) is None:
            self.top.alias_id(vendor, value, target, native)

    def origin_of(self, target: str, native: str):
        return self.top.origin_of(target, native) or self.base.origin_of(target, native)

    def lookup_id(self, vendor: str, value: str, target: str):
        native = self.id_for(vendor, value, target)
        return (native, None) if native is not None else (None, self.origin_of(vendor, value))

    # records and spans this run accepted, over the store's
    def put_record(self, key: str, record) -> None:
        self.top.put_record(key, record)

    def get_record(self, key: str):
        return self.top.get_record(key) or self.base.get_record(key)

    def drop_record(self, key: str) -> None:
        self.top.drop_record(key)

    def records_about(self, entity_value: str) -> list:
        return self.top.records_about(entity_value) + self.base.records_about(entity_value)

    def record_named(self, entity_value: str, name: str):
        return self.top.record_named(entity_value, name) or self.base.record_named(entity_value, name)

    def get_span(self, key: str):
        return self.top.get_span(key) or self.base.get_span(key)

    def put_span(self, key: str, span) -> None:
        self.top.put_span(key, span)

    def span_named(self, vendor: str, value: str):
        return span_named(self, vendor, value)

    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None:
        self.top.learn(upstream, record_id, vendor_id)

    def learned(self, upstream: str, record_id: str) -> str | None:
        return self.top.learned(upstream, record_id) or self.base.learned(upstream, record_id)

    def mark_delivered(self, upstream: str, prints: list) -> None:
        self.top.mark_delivered(upstream, prints)

    def delivered(self, upstream: str, record_id: str) -> str | None:
        return self.top.delivered(upstream, record_id) or self.base.delivered(upstream, record_id)

    def commit(self, w, at_once: bool = False) -> bool:
        """A page's writes: records, learned ids and prints into this run's memory; never an outbox row."""
        if w.outbox or w.replies or w.done:
            raise RuntimeError("dry run: nothing may be queued")
        return self.top.commit(w, at_once)

    def checkpoint(self, key: str) -> str | None:
        return None  # a dry run always reads from the start


class DrySample:
    """What a dry run shows: the first requests per target endpoint, and per write the record
    read with the most fields (for its loss report)."""

    def __init__(self, target, size: int):
        self.target, self.size = target, size
        self.requests: dict[str, list] = {}  # target endpoint -> requests
        self.examples: dict[str, tuple] = {}  # write name -> (fields, endpoint, wire, record, refused)

    def add(self, fresh: list) -> None:
        for out in self.target.encode(fresh)[0] if fresh else ():
            shown = self.requests.setdefault(out.endpoint, [])
            if len(shown) < self.size:
                shown.append(out)

    def example(self, name: str, endpoint, wire, rec) -> None:
        size = len(leaves(wire.body))
        if size > self.examples.get(name, (0,))[0]:
            self.examples[name] = (size, endpoint, wire, rec, self.target.encode([rec])[1])
