"""A commit made on the event loop (`Store.commit(at_once=True)`, the group commit's first try):
it writes as any commit does, or, where it would have to wait, writes nothing, changes nothing
and says so at once, so the group commit makes it from a thread."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from proxy.model import Assessment, Ref
from proxy.store import MemoryStore, sqlite, sqlite_checkpoint
from proxy.store.postgres import PostgresStore
from proxy.store.sql_statements import values_rows
from proxy.store.sql_store import _record_row
from proxy.store.sqlite import SQLiteStore
from proxy.store.writes import Writes


def rec(i: int) -> Assessment:
    return Assessment(
        op="upsert", entity="span", span_id=Ref("opik", f"span-{i}"), name="accuracy", value=0.5, id=f"rec-{i}"
    )


def claimed_writes(store, values: list[str], records: list[int] = ()) -> Writes:
    claims: list = []
    for v in values:
        store.claim_id("tracia", v, "opik", f"uuid-of-{v}", claims)
    return Writes(claims=claims, records=[(f"k{i}", rec(i)) for i in records])


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SQLiteStore(str(tmp_path / "proxy.db"))
    yield s
    if request.param == "sqlite":
        s.close()


def test_a_commit_at_once_writes_what_any_commit_writes(store):
    assert store.commit(claimed_writes(store, ["sp_1", "sp_2"], records=[1, 2]), at_once=True) is True
    assert store.get_record("k1") == rec(1) and store.get_record("k2") == rec(2)
    assert store.claimed("tracia", "sp_1", "opik") == "uuid-of-sp_1"
    assert store.origin_of("opik", "uuid-of-sp_2") == ("tracia", "sp_2")


def test_sqlite_commit_at_once_does_not_wait_for_another_process_holding_the_database(tmp_path):
    path = str(tmp_path / "proxy.db")
    store = SQLiteStore(path, busy_timeout=5)
    other = sqlite3.connect(path, isolation_level=None)  # another process's connection, as far as SQLite knows
    other.execute("BEGIN IMMEDIATE")
    writes = claimed_writes(store, ["sp_1"], records=[1])
    started = time.monotonic()
    assert store.commit(writes, at_once=True) is False
    assert time.monotonic() - started < 0.5  # not the 5 s busy timeout
    assert store.get_record("k1") is None and store.claimed("tracia", "sp_1", "opik") is None
    # the claim is still pending: a request claiming the id meanwhile makes the same one
    assert store.claim_id("tracia", "sp_1", "opik", "another-uuid", []) == "uuid-of-sp_1"
    other.execute("ROLLBACK")
    assert store.commit(writes) is True  # from a thread, as the group commit does next
    assert store.get_record("k1") == rec(1) and store.claimed("tracia", "sp_1", "opik") == "uuid-of-sp_1"
    store.close()


def test_sqlite_commit_at_once_does_not_wait_for_another_thread_holding_the_store(tmp_path):
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    held, release = threading.Event(), threading.Event()

    def checkpoint_like():  # what a restart checkpoint or a worker's claim does: the store's lock, held a while
        with store._locked(write=True):
            held.set()
            release.wait(5)

    t = threading.Thread(target=checkpoint_like)
    t.start()
    assert held.wait(5)
    started = time.monotonic()
    assert store.commit(Writes(records=[("k1", rec(1))]), at_once=True) is False
    assert time.monotonic() - started < 0.5
    release.set()
    t.join(5)
    assert store.get_record("k1") is None
    assert store.commit(Writes(records=[("k1", rec(1))]), at_once=True) is True
    store.close()


def test_a_restart_checkpoint_makes_writes_wait_but_not_the_event_loops_reads(tmp_path):
    """A restart checkpoint holds the store's writers while it copies the WAL and fsyncs (ms); the
    event loop's look-ups go on meanwhile (they waited for it too, and requests stalled 5-10 ms)."""
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    store.commit(claimed_writes(store, ["sp_1"], records=[1]))
    restarting, finished = threading.Event(), threading.Event()
    real_checkpoint = store._checkpointer._checkpoint

    def slow_checkpoint(mode):  # the restart as the thread runs it (under the writers' lock), held open
        restarting.set()
        finished.wait(5)
        real_checkpoint(mode)

    store._checkpointer._checkpoint = slow_checkpoint
    t = threading.Thread(target=store._checkpointer._restart_now)
    t.start()
    assert restarting.wait(5)
    read = threading.Thread(
        target=lambda: reads.append((store.get_record("k1"), store.claimed("tracia", "sp_1", "opik")))
    )
    reads: list = []
    read.start()
    read.join(2)
    assert reads == [(rec(1), "uuid-of-sp_1")]  # not held until the checkpoint ends
    assert store.commit(Writes(records=[("k2", rec(2))]), at_once=True) is False  # the loop's try: no wait
    done: list[float] = []

    def write() -> None:
        assert store.commit(Writes(records=[("k2", rec(2))]))
        done.append(time.monotonic())

    written = threading.Thread(target=write)
    written.start()
    written.join(0.3)  # time for a write that did not wait to finish
    ended = time.monotonic()
    finished.set()
    t.join(5)
    written.join(5)
    assert done and done[0] > ended  # the write went in once the checkpoint had ended, not before
    assert store.get_record("k2") == rec(2)
    store.close()


def test_stores_that_would_wait_on_every_commit_never_commit_at_once(tmp_path, pg_database):
    full = SQLiteStore(str(tmp_path / "full.db"), sync="full")  # every commit fsyncs
    pg = PostgresStore(pg_database())  # every statement is a round trip
    for store in (full, pg):
        assert store.commit(Writes(records=[("k1", rec(1))]), at_once=True) is False
        assert store.get_record("k1") is None
        assert store.commit(Writes(records=[("k1", rec(1))])) is True
        assert store.get_record("k1") == rec(1)
        store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_claims_of_a_commit_are_one_statement_that_counts_what_it_made(kind, tmp_path, pg_database):
    """The count tells a commit that every claim was made as claimed (nearly always): then nothing
    is read back (cached_ids.py `_claims_settled`)."""
    store = SQLiteStore(str(tmp_path / "proxy.db")) if kind == "sqlite" else PostgresStore(pg_database())
    rows = [("tracia", f"sp_{i}", "opik", f"uuid-{i}") for i in range(5)]
    assert store._transaction([(store.sql.claim_ids, rows)]) == [5]
    store.remember_id("tracia", "sp_5", "opik", "uuid-5")  # made before, by another instance
    later = [
        ("tracia", "sp_5", "opik", "uuid-5-again"),
        ("opik", "uuid-1", "tracia", "a-tracia-id"),  # made from another: it has an origin
        ("tracia", "sp_6", "opik", "uuid-6"),
    ]
    assert store._transaction([(store.sql.claim_ids, later)]) == [1]
    assert store.id_for("tracia", "sp_5", "opik") == "uuid-5" and store.id_for("opik", "uuid-1", "tracia") is None
    assert store.id_for("tracia", "sp_6", "opik") == "uuid-6"
    store.close()


def test_rows_of_an_insert_are_one_statement_in_sqlite(tmp_path):
    assert values_rows("INSERT INTO t VALUES (?,?) ON CONFLICT DO NOTHING", 3) == (
        "INSERT INTO t VALUES (?,?),(?,?),(?,?) ON CONFLICT DO NOTHING"
    )
    assert values_rows("UPDATE t SET a=? WHERE id=?", 3) is None
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    store._max_params = 12  # SQLite's own limit is thousands: chunks of 2 records (6 columns each)
    records = [(f"k{i % 4}", rec(i)) for i in range(7)]  # a key put again later in the run: the later one stays
    assert store.commit(Writes(records=records)) is True
    assert [store.get_record(f"k{i}").id for i in range(4)] == ["rec-4", "rec-5", "rec-6", "rec-3"]
    store._max_params = 10**6  # then chunks of ROWS_AT_ONCE rows: as many statement texts as it, never more
    many = [(f"m{i}", rec(i)) for i in range(3 * sqlite.ROWS_AT_ONCE + 5)]
    assert store._transaction([(store.sql.put_record, [_record_row(*r) for r in many])]) == [len(many)]
    assert store.get_record(f"m{len(many) - 1}") == rec(len(many) - 1)
    store.close()


def test_sqlite_wal_is_bounded_when_commits_are_made_at_once(tmp_path):
    """A commit on the event loop leaves the restart checkpoint to the checkpoint thread."""
    s = SQLiteStore(str(tmp_path / "wal.db"))
    wal, largest, at_once = tmp_path / "wal.db-wal", 0, 0
    for i in range(5000):  # ~18 KB of WAL a commit: with no checkpoint finished, 90 MB
        w = Writes(outbox=[("scale", rec(i), "r")])
        if s.commit(w, at_once=True):
            at_once += 1
        else:  # the checkpoint thread holds the store: from a thread, as the group commit does
            s.commit(w)
        largest = max(largest, wal.stat().st_size) if i % 100 == 0 else largest
    assert at_once > 4000
    assert largest < (sqlite_checkpoint.LIMIT + 1000) * 4120
    s.close()
