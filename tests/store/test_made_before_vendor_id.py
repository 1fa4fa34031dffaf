"""A store written before Assessment.vendor_id was renamed (it was `assessment_id`, one
vendor's word) opens and works: the record JSON keeps the old key on disk, so a store made by
either version reads the same in the other, and the prints of delivered records do not change.
The SQLite file was made by the code before the rename (main at dd5de39)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from proxy.model import Assessment, Ref
from proxy.store import codec
from proxy.store.sqlite import SQLiteStore

# the SQL dump (sqlite3 .dump) of a SQLite store made by the code before the rename
MADE = Path(__file__).resolve().parents[1] / "fixtures" / "store" / "made-before-vendor_id.sql"
KEPT_ON_DISK = (
    b'{"op":"upsert","entity":"span","trace_id":["scale","t1"],"span_id":["scale","s1"],"name":"approval",'
    b'"value":1.0,"label":"approved","created_at":"2026-12-06T00:00:00Z","assessment_id":"asmt-1","id":"rec-1",'
    b'"origin":{"vendor":"scale"}}'
)  # codec.dump of that record, by the code before the rename


def made(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(MADE.read_text())
    db.close()


def test_an_old_sqlite_store_opens_and_its_records_carry_vendor_id(tmp_path):
    path = tmp_path / "proxy.db"
    made(path)
    store = SQLiteStore(str(path))
    try:
        kept = store.get_record("rec-1")
        assert (kept.vendor_id, kept.label, kept.span_id) == ("asmt-1", "approved", Ref("scale", "s1"))
        (item,) = store.claim("opik", 10, lease=30)
        assert (item.record.op, item.record.vendor_id, item.record.value) == ("update", "rec-1", 0.0)
        assert store.learned("scale", "rec-1") == "asmt-1" and store.learned_by("scale", "asmt-1") == "rec-1"
        store.put_record("rec-2", Assessment(op="upsert", name="q", value=0.5, vendor_id="asmt-2", id="rec-2"))
        assert store.get_record("rec-2").vendor_id == "asmt-2"
    finally:
        store.close()


def test_the_record_json_and_its_print_are_the_ones_written_before():
    rec = codec.load(KEPT_ON_DISK)
    assert rec.vendor_id == "asmt-1"
    assert codec.dump(rec) == KEPT_ON_DISK  # an older process sharing the store reads it as it wrote it
    assert codec.fingerprint(rec) == "1ee867c3949f4a8f"  # made by the code before the rename
