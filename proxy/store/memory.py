"""An in-process Store: fast, and gone with the process."""

from __future__ import annotations

from ..model import Assessment
from .interfaces import span_named
from .memory_outbox import MemoryOutbox
from .writes import Enqueue, Writes


class MemoryStore(MemoryOutbox, Enqueue):
    remote = False

    def __init__(self) -> None:
        super().__init__()
        self._ids: dict[tuple[str, str, str], str] = {}
        self._origins: dict[tuple[str, str], tuple[str, str]] = {}
        self._records: dict[str, Assessment] = {}
        self._about: dict[str, dict[str, str]] = {}  # entity id -> {key: key}, in arrival order
        self._named: dict[tuple[str, str], str] = {}
        self._learned: dict[tuple[str, str], str] = {}
        self._delivered: dict[tuple[str, str], str] = {}
        self._spans: dict = {}
        self._checkpoints: dict[str, str] = {}

    def commit(self, w: Writes, at_once: bool = False) -> bool:
        """Outbox.commit. `at_once`: False where a worker's thread holds the rows (a claim's walk)."""
        if not self._lock.acquire(blocking=not at_once):
            return False
        try:
            self._enqueue(w.outbox, w.replies)
            for upstream, rec, request_id, key, next_at, why in w.parked:
                arrived = key in self._spans
                self._enqueue([(upstream, rec, request_id)], [], None if arrived else (key, next_at, why))
            for key, rec in w.records:
                self.drop_record(key) if rec is None else self.put_record(key, rec)
            for upstream, record_id, vendor_id in w.learned:
                self.learn(upstream, record_id, vendor_id)
            for upstream, record_id, print_ in w.delivered:
                self._delivered[(upstream, record_id)] = print_
            self._sending(w.sending)
            self.done(w.done)
            for item_id, next_at, why, maybe_sent, waits_for in w.retried:
                self.retry(item_id, next_at, why, maybe_sent, waits_for)
            for item_id, why, maybe_sent in w.buried:
                self.bury(item_id, why, maybe_sent)
            if w.arrived:
                self._arrived(w.arrived)
        finally:
            self._lock.release()
        return True

    def id_for(self, vendor: str, value: str, target: str) -> str | None:
        return self._ids.get((vendor, value, target))

    def remember_id(self, vendor: str, value: str, target: str, native: str) -> str:
        kept = self._ids.setdefault((vendor, value, target), native)
        self._origins.setdefault((target, kept), (vendor, value))
        return kept

    def alias_id(self, vendor: str, value: str, target: str, native: str) -> None:
        self.remember_id(vendor, value, target, native)

    def claim_id(self, vendor: str, value: str, target: str, native: str, claims: list) -> str:
        return self.remember_id(vendor, value, target, native)  # kept at once: nothing to settle

    def claimed(self, vendor: str, value: str, target: str) -> str | None:
        return self.id_for(vendor, value, target)

    def origin_of(self, target: str, native: str) -> tuple[str, str] | None:
        return self._origins.get((target, native))

    def lookup_id(self, vendor: str, value: str, target: str) -> tuple[str | None, tuple[str, str] | None]:
        native = self.id_for(vendor, value, target)
        return (native, None) if native is not None else (None, self.origin_of(vendor, value))

    lookup_cached = lookup_id  # all of it is in the process

    def put_record(self, key: str, record: Assessment) -> None:
        with self._lock:
            self._records[key] = record
            for ref in (record.trace_id, record.span_id):
                if ref is not None:
                    self._about.setdefault(ref.value, {})[key] = key
            target = record.entity_ref
            if record.name and target is not None:
                self._named[(str(target), record.name)] = key

    def get_record(self, key: str) -> Assessment | None:
        return self._records.get(key)

    def drop_record(self, key: str) -> None:
        with self._lock:
            record = self._records.pop(key, None)
            if record is None:
                return
            for ref in (record.trace_id, record.span_id):
                if ref is not None:
                    self._about.get(ref.value, {}).pop(key, None)
            if record.name and record.entity_ref is not None:
                self._named.pop((str(record.entity_ref), record.name), None)

    def records_about(self, entity_value: str) -> list[Assessment]:
        with self._lock:
            keys = self._about.get(entity_value, {})
            return [self._records[k] for k in keys if k in self._records]

    def record_named(self, entity_value: str, name: str) -> Assessment | None:
        key = self._named.get((entity_value, name))
        return self._records.get(key) if key else None

    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None:
        self._learned[(upstream, record_id)] = vendor_id

    def learned(self, upstream: str, record_id: str) -> str | None:
        return self._learned.get((upstream, record_id))

    def learned_by(self, upstream: str, vendor_id: str) -> str | None:
        with self._lock:
            return next((r for (u, r), v in self._learned.items() if u == upstream and v == vendor_id), None)

    def mark_delivered(self, upstream: str, prints: list[tuple[str, str]]) -> None:
        for record_id, print_ in prints:
            self._delivered[(upstream, record_id)] = print_

    def delivered(self, upstream: str, record_id: str) -> str | None:
        return self._delivered.get((upstream, record_id))

    def get_span(self, key: str):
        return self._spans.get(key)

    def put_span(self, key: str, span) -> None:
        self._spans[key] = span

    def span_named(self, vendor: str, value: str):
        return span_named(self, vendor, value)

    def checkpoint(self, key: str) -> str | None:
        return self._checkpoints.get(key)

    def save_checkpoint(self, key: str, state: str) -> None:
        self._checkpoints[key] = state
