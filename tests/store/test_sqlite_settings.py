"""The settings a SQLite store's connection runs with (proxy/store/sqlite.py): each measured, each
held here so that a refactor of the connection's set-up cannot drop one silently."""

from __future__ import annotations

from proxy.store.sqlite import CACHE_KIB, SQLiteStore


def test_the_connection_keeps_a_page_cache_of_16_mib_writes_a_wal_and_leaves_checkpoints_to_its_thread(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.db"))
    try:
        pragma = {name: store._db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "journal_mode")}
        assert pragma == {"cache_size": -CACHE_KIB, "journal_mode": "wal"} and CACHE_KIB == 16 * 1024
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    finally:
        store.close()
