"""What the core asks of storage. Every method is keyed by plain strings, so a
backend needs no knowledge of vendors or of the canonical model's internals."""

from __future__ import annotations

from typing import Protocol

from ..model import Assessment


class Store(Protocol):
    # id registry: (vendor, foreign id, target vendor) <-> native id
    def id_for(self, vendor: str, value: str, target: str) -> str | None: ...
    def remember_id(self, vendor: str, value: str, target: str, native: str) -> str:
        """Keep the first mapping ever made for this foreign id; returns the one kept."""
    def origin_of(self, target: str, native: str) -> tuple[str, str] | None:
        """Reverse: which (vendor, id) a native id was made from."""

    # accepted assessments, by the id the client knows them by
    def put_record(self, key: str, record: Assessment) -> None: ...
    def get_record(self, key: str) -> Assessment | None: ...
    def drop_record(self, key: str) -> None: ...
    def records_about(self, entity_value: str) -> list[Assessment]: ...
    def record_named(self, entity_value: str, name: str) -> Assessment | None: ...

    # what each upstream called an assessment it created (Scale's assessment_id)
    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None: ...
    def learned(self, upstream: str, record_id: str) -> str | None: ...
