"""Back-fill checkpoints (proxy/backfill/checkpoint.py) on every store backend: kept by
key, replaced whole, and still there after the store is opened again."""

from __future__ import annotations

import psycopg

from proxy.store import codec
from proxy.store.postgres import MIGRATIONS, PostgresStore
from proxy.store.sqlite import SQLiteStore
from tests.store.test_conformance import rec, store  # noqa: F401 - the fixture over memory, SQLite and PostgreSQL


def test_a_checkpoint_is_kept_by_key_and_replaced_whole(store):  # noqa: F811
    assert store.checkpoint("opik>scale|proj") is None
    store.save_checkpoint("opik>scale|proj", '{"page": 3}')
    store.save_checkpoint("opik>tracia|proj", '{"page": 1}')
    store.save_checkpoint("opik>scale|proj", '{"page": 4, "last": "t-9"}')
    assert store.checkpoint("opik>scale|proj") == '{"page": 4, "last": "t-9"}'
    assert store.checkpoint("opik>tracia|proj") == '{"page": 1}'


def test_sqlite_checkpoint_survives_reopening(tmp_path):
    path = str(tmp_path / "proxy.db")
    s = SQLiteStore(path)
    s.save_checkpoint("k", '{"cursor": "abc"}')
    s.close()
    s = SQLiteStore(path)
    try:
        assert s.checkpoint("k") == '{"cursor": "abc"}'
    finally:
        s.close()


def test_postgres_database_of_an_older_proxy_gets_the_checkpoint_table(pg_database):
    """A database at schema version 1 (before checkpoints) is migrated, its outbox kept."""
    url = pg_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE feedback_proxy_schema (version INTEGER NOT NULL)")
        conn.execute(MIGRATIONS[0])
        conn.execute("INSERT INTO feedback_proxy_schema VALUES (1)")
        conn.execute(
            "INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at) VALUES "
            "(%s,%s,%s,%s,0,0)",
            ("scale", "rec-1", codec.dump(rec(1)), "r"),
        )
    s = PostgresStore(url)
    try:
        assert s.schema_version == len(MIGRATIONS) >= 2
        s.save_checkpoint("k", '{"page": 2}')
        assert s.checkpoint("k") == '{"page": 2}'
        assert [it.record for it in s.claim("scale", 10, lease=30)] == [rec(1)]
    finally:
        s.close()
