"""One conformance suite for every store backend: registry, records, outbox."""

from __future__ import annotations

import time

import pytest

from proxy.model import Assessment, Ref
from proxy.store import MemoryStore, sqlite_checkpoint
from proxy.store.postgres import MIGRATIONS, PostgresStore
from proxy.store.sqlite import SQLiteStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "postgres":  # a fresh database on the session's PostgreSQL (tests/conftest.py): never skipped
        s = PostgresStore(request.getfixturevalue("pg_database")())
    else:
        s = SQLiteStore(str(tmp_path / "proxy.db"))
    yield s
    s.close()


def rec(i: int, **kw) -> Assessment:
    base = dict(
        op="upsert",
        entity="span",
        span_id=Ref("opik", f"span-{i}"),
        trace_id=Ref("opik", "trace-1"),
        name="accuracy",
        value=i / 10,
        id=f"rec-{i}",
    )
    return Assessment(**{**base, **kw})


def test_registry_keeps_the_first_mapping_and_answers_reverse(store):
    assert store.id_for("tracia", "sp_1", "opik") is None
    assert store.remember_id("tracia", "sp_1", "opik", "uuid-a") == "uuid-a"
    assert store.remember_id("tracia", "sp_1", "opik", "uuid-b") == "uuid-a"
    assert store.id_for("tracia", "sp_1", "opik") == "uuid-a"
    assert store.origin_of("opik", "uuid-a") == ("tracia", "sp_1")
    assert store.origin_of("opik", "uuid-b") is None
    # both questions a translation asks, at once: an id seen, one made by us, one never seen
    assert store.lookup_id("tracia", "sp_1", "opik") == ("uuid-a", None)
    assert store.lookup_id("opik", "uuid-a", "tracia") == (None, ("tracia", "sp_1"))
    assert store.lookup_id("opik", "uuid-z", "tracia") == (None, None)
    store.remember_id("opik", "uuid-a", "scale", "scale-a")
    assert store.lookup_id("opik", "uuid-a", "scale") == ("scale-a", None)


def test_records_by_key_by_entity_and_by_name(store):
    store.put_record("k1", rec(1))
    store.put_record("k2", rec(2, name="tone"))
    assert store.get_record("k1") == rec(1)
    assert [r.id for r in store.records_about("trace-1")] == ["rec-1", "rec-2"]
    assert [r.id for r in store.records_about("span-2")] == ["rec-2"]
    assert store.record_named("span-2", "tone").id == "rec-2"
    assert store.record_named("span-2", "accuracy") is None
    store.drop_record("k1")
    assert store.get_record("k1") is None and [r.id for r in store.records_about("trace-1")] == ["rec-2"]


def test_learned_vendor_ids(store):
    assert store.learned("scale", "rec-1") is None
    store.learn("scale", "rec-1", "asmt-9")
    assert store.learned("scale", "rec-1") == "asmt-9"
    assert store.learned("other", "rec-1") is None


def test_outbox_claims_in_order_once_and_holds_the_lease(store):
    store.enqueue([("scale", rec(i), "req-a") for i in range(5)] + [("opik", rec(9), "req-b")])
    first = store.claim("scale", 3, lease=30)
    assert [it.record.id for it in first] == ["rec-0", "rec-1", "rec-2"]
    assert all(it.upstream == "scale" and it.request_id == "req-a" and it.attempts == 0 for it in first)
    assert [it.record.id for it in store.claim("scale", 10, lease=30)] == ["rec-3", "rec-4"]
    assert store.claim("scale", 10, lease=30) == []
    assert store.depth()["scale"][0] == 5 and store.depth()["opik"][0] == 1
    store.done([it.id for it in first])
    assert store.depth()["scale"][0] == 2


def test_expired_lease_makes_an_item_claimable_again(store):
    store.enqueue([("scale", rec(1), "r")])
    (item,) = store.claim("scale", 10, lease=0.05)
    time.sleep(0.1)
    (again,) = store.claim("scale", 10, lease=30)
    assert again.id == item.id


def test_a_records_later_change_waits_for_the_earlier_one(store):
    store.enqueue([("scale", rec(1), "r1")])
    store.enqueue([("scale", rec(1, op="update", value=0.5), "r2"), ("scale", rec(2), "r2")])
    claimed = store.claim("scale", 10, lease=30)
    assert [(it.record.id, it.record.op) for it in claimed] == [("rec-1", "upsert"), ("rec-2", "upsert")]
    store.done([claimed[0].id])
    (later,) = store.claim("scale", 10, lease=30)
    assert (later.record.id, later.record.op, later.record.value) == ("rec-1", "update", 0.5)


def test_released_items_are_due_again_at_once(store):
    store.enqueue([("opik", rec(1), "r1"), ("opik", rec(2), "r2")])
    first = store.claim("opik", 10, lease=60)
    assert store.claim("opik", 10, lease=60) == []
    store.release([first[0].id])
    again = store.claim("opik", 10, lease=60)
    assert [i.id for i in again] == [first[0].id] and again[0].attempts == 0


def test_a_create_about_to_be_sent_is_marked_until_its_row_is_settled(store):
    from proxy.store.writes import Writes

    store.enqueue([("scale", rec(1), "r1"), ("scale", rec(2), "r2"), ("scale", rec(3), "r3")])
    one, two, three = store.claim("scale", 10, lease=60)
    assert one.sent_at is None
    store.commit(Writes(sending=[one.id, two.id, three.id]))
    store.retry(one.id, 0, "no answer within 1 s", maybe_sent=True)  # a timeout: it may have arrived
    store.retry(two.id, 0, "answered 503")  # an answer: it did not
    store.release([three.id])  # a crash: given back (or its lease ran out) with its mark
    again = {i.id: i for i in store.claim("scale", 10, lease=60)}
    assert again[one.id].sent_at >= time.time() - 60 and again[three.id].sent_at is not None
    assert again[two.id].sent_at is None
    store.bury(one.id, "gave up", maybe_sent=True)
    assert store.dead_letters()[0].sent_at is not None


def test_a_learned_id_names_its_record(store):
    store.learn("scale", "rec-1", "aid-1")
    assert store.learned_by("scale", "aid-1") == "rec-1"
    assert store.learned_by("scale", "aid-2") is None and store.learned_by("opik", "aid-1") is None


def test_retry_defers_and_counts_attempts(store):
    store.enqueue([("scale", rec(1), "r")])
    (item,) = store.claim("scale", 10, lease=30)
    store.retry(item.id, time.time() + 60, "503 from scale")
    assert store.claim("scale", 10, lease=30) == []
    assert store.depth()["scale"][0] == 1
    store.retry(item.id, time.time() - 1, "503 again")
    (again,) = store.claim("scale", 10, lease=30)
    assert again.attempts == 2 and again.last_error == "503 again"


def test_a_row_waiting_for_a_span_is_due_when_the_span_arrives(store):
    from proxy.store.writes import Writes

    store.enqueue([("scale", rec(1), "r1"), ("scale", rec(2), "r2"), ("opik", rec(3), "r3")])
    a, b = store.claim("scale", 10, lease=30)
    (c,) = store.claim("opik", 10, lease=30)
    later = time.time() + 60
    store.retry(a.id, later, "waiting: trace", waits_for="tracia:span:sp_1")
    store.retry(b.id, later, "waiting: trace", waits_for="tracia:span:sp_2")
    store.retry(c.id, later, "waiting: trace", waits_for="tracia:span:sp_1")
    store.commit(Writes(arrived=[("opik", "tracia:span:sp_2")]))  # sp_2 at another upstream: no one here waits for it
    assert store.claim("scale", 10, lease=30) == [] and store.claim("opik", 10, lease=30) == []
    store.commit(Writes(arrived=[("scale", "tracia:span:sp_1")]))  # at scale: scale's row only
    assert [it.record.id for it in store.claim("scale", 10, lease=30)] == [a.record.id]
    assert store.claim("opik", 10, lease=30) == []
    store.commit(Writes(arrived=[(None, "tracia:span:sp_1"), (None, "tracia:span:sp_2")]))  # at the proxy: everyone's
    assert [it.record.id for it in store.claim("opik", 10, lease=30)] == [c.record.id]
    assert [it.record.id for it in store.claim("scale", 10, lease=30)] == [b.record.id]


def test_a_row_parked_from_the_start_waits_for_its_span_unless_the_store_has_it(store):
    """Writes.parked: a record an upstream cannot take before its span arrives is committed waiting
    (Outbox.stage), and is due when the span arrives, or at once if the span was stored first."""
    from proxy.model import Span
    from proxy.store.writes import Writes

    later = time.time() + 60
    store.put_span("tracia:span:sp_2", Span(entity="span", span_id=Ref("tracia", "sp_2")))
    store.commit(
        Writes(
            parked=[
                ("scale", rec(1), "r1", "tracia:span:sp_1", later, "waiting: trace_id: missing"),
                ("scale", rec(2), "r2", "tracia:span:sp_2", later, "waiting: trace_id: missing"),
            ]
        )
    )
    assert store.depth()["scale"][0] == 2
    (due,) = store.claim("scale", 10, lease=30)  # its span is in the store: not parked
    assert due.record.id == "rec-2" and due.last_error is None
    store.done([due.id])
    assert store.claim("scale", 10, lease=30) == []
    store.commit(Writes(arrived=[(None, "tracia:span:sp_1")]))
    (released,) = store.claim("scale", 10, lease=30)
    assert released.record.id == "rec-1" and released.attempts == 0


def test_dead_letters_keep_the_error_and_can_be_replayed_or_dropped(store):
    store.enqueue([("scale", rec(1), "r1"), ("scale", rec(2), "r2")])
    a, b = store.claim("scale", 10, lease=30)
    store.bury(a.id, "422 from scale: rating out of range")
    store.bury(b.id, "gave up")
    assert store.depth() == {}
    dead = store.dead_letters()
    assert [(d.id, d.upstream, d.record.id, d.last_error, d.attempts) for d in dead] == [
        (a.id, "scale", "rec-1", "422 from scale: rating out of range", 1),
        (b.id, "scale", "rec-2", "gave up", 1),
    ]
    assert store.dead_letters("opik") == []
    assert store.replay([a.id]) == 1 and store.replay([a.id]) == 0
    (back,) = store.claim("scale", 10, lease=30)
    assert back.id == a.id and back.attempts == 0
    assert store.drop([b.id]) == 1 and store.dead_letters() == []


def test_rows_settled_several_at_once_count_only_those_in_the_state_asked_for(store):
    store.enqueue([("scale", rec(i), f"r{i}") for i in range(4)])
    a, b, c, d = store.claim("scale", 10, lease=60)
    store.bury(a.id, "gave up")
    store.bury(b.id, "gave up")
    assert store.replay([a.id, b.id, c.id]) == 2  # c is pending, not dead
    store.release([c.id, d.id])
    assert sorted(it.id for it in store.claim("scale", 10, lease=60)) == [a.id, b.id, c.id, d.id]
    store.bury(a.id, "gave up")
    store.bury(b.id, "gave up")
    assert store.drop([a.id, b.id, c.id]) == 2 and store.replay([]) == 0 and store.drop([]) == 0
    store.done([c.id, d.id])
    assert store.depth() == {} and store.dead_letters() == []


def test_records_survive_a_round_trip_with_every_field(store):
    full = Assessment(
        op="upsert",
        entity="span",
        trace_id=Ref("scale", "t"),
        span_id=Ref("scale", "s"),
        project="p",
        name="n",
        value=4,
        scale=[1, 5],
        label="approved",
        comment="c",
        rubric={"a": "pass"},
        correction={"output": "x"},
        metadata={"k": [1, 2]},
        source="api",
        author="me",
        vendor_id="asmt",
        names=["a"],
        id="rid",
        origin={"vendor": "scale", "overwrites": False},
    )
    store.enqueue([("opik", full, "r")])
    (item,) = store.claim("opik", 1, lease=30)
    assert item.record == full


def test_sqlite_outbox_survives_reopening(tmp_path):
    path = str(tmp_path / "proxy.db")
    s = SQLiteStore(path)
    s.enqueue([("scale", rec(i), "r") for i in range(3)])
    s.remember_id("tracia", "sp_1", "opik", "u1")
    s.close()
    s = SQLiteStore(path)
    assert [it.record.id for it in s.claim("scale", 10, lease=30)] == ["rec-0", "rec-1", "rec-2"]
    assert s.id_for("tracia", "sp_1", "opik") == "u1"


def test_an_older_proxys_database_gets_the_mark_of_a_create_about_to_be_sent(tmp_path, pg_database):
    """SQLite and PostgreSQL databases made before OutboxItem.sent_at: migrated, their outbox kept."""
    import sqlite3

    import psycopg

    from proxy.store import codec
    from proxy.store.writes import Writes

    path = str(tmp_path / "old.db")
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE outbox DROP COLUMN sent_at")
        db.execute(
            "INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at) VALUES (?,?,?,?,0,0)",
            ("scale", "rec-1", codec.dump(rec(1)), "r"),
        )
    url = pg_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE feedback_proxy_schema (version INTEGER NOT NULL)")
        conn.execute(MIGRATIONS[0])
        conn.execute(MIGRATIONS[1])
        conn.execute("INSERT INTO feedback_proxy_schema VALUES (2)")
        conn.execute(
            "INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at)"
            " VALUES (%s,%s,%s,%s,0,0)",
            ("scale", "rec-1", codec.dump(rec(1)), "r"),
        )
    for s in (SQLiteStore(path), PostgresStore(url)):
        try:
            (item,) = s.claim("scale", 10, lease=0.01)
            assert item.record == rec(1) and item.sent_at is None
            s.commit(Writes(sending=[item.id]))
            time.sleep(0.02)
            assert s.claim("scale", 10, lease=30)[0].sent_at is not None
        finally:
            s.close()


def test_delivered_prints(store):
    assert store.delivered("scale", "rec-1") is None
    store.mark_delivered("scale", [("rec-1", "abc"), ("rec-2", "def")])
    store.mark_delivered("scale", [("rec-1", "xyz")])
    assert store.delivered("scale", "rec-1") == "xyz" and store.delivered("scale", "rec-2") == "def"
    assert store.delivered("opik", "rec-1") is None


def test_spans_by_key(store):
    from proxy.model import Span

    span = Span(
        entity="span",
        trace_id=Ref("tracia", "tr_1"),
        span_id=Ref("tracia", "sp_1"),
        name="llm",
        usage={"input_tokens": 3},
        id="tracia:span:sp_1",
    )
    assert store.get_span("tracia:span:sp_1") is None
    assert store.span_named("tracia", "sp_1") is None
    store.put_span("tracia:span:sp_1", span)
    assert store.get_span("tracia:span:sp_1") == span
    # by its id, or by an id the proxy made of it (an Opik UUID of the Tracia span), in one look-up
    assert store.span_named("tracia", "sp_1") == span
    assert store.span_named("opik", "uuid-of-sp_1") is None
    store.remember_id("tracia", "sp_1", "opik", "uuid-of-sp_1")
    assert store.span_named("opik", "uuid-of-sp_1") == span
    store.remember_id("tracia", "sp_2", "opik", "uuid-of-sp_2")  # made of a span not seen: none
    assert store.span_named("opik", "uuid-of-sp_2") is None
    own = Span(entity="span", span_id=Ref("opik", "uuid-of-sp_1"), name="mine", id="opik:span:uuid-of-sp_1")
    store.put_span("opik:span:uuid-of-sp_1", own)  # stored under the id itself: that one first
    assert store.span_named("opik", "uuid-of-sp_1") == own


def test_repeated_post_replies_within_their_age(store):
    store.enqueue([("scale", rec(1), "r1")], replies=[("k1", b'{"id":"a"}')])
    store.enqueue([], replies=[("k2", b'{"id":"b"}')])
    assert store.reply_for("k1", max_age=60) == b'{"id":"a"}' and store.reply_for("k2", 60) == b'{"id":"b"}'
    assert store.reply_for("k3", 60) is None
    time.sleep(0.05)
    assert store.reply_for("k1", max_age=0.01) is None
    assert store.prune_replies(0.01) == 2 and store.reply_for("k1", 60) is None


def test_pruning_kept_answers_finds_the_expired_by_their_age_not_by_a_scan(tmp_path, pg_database):
    """The prune runs every minute against a table as large as a window of POSTs: a scan
    of it held the SQLite store's lock (and the event loop's reads) for ~11 ms per 50,000."""
    sqlite = SQLiteStore(str(tmp_path / "proxy.db"))
    plan = sqlite._one("EXPLAIN QUERY PLAN DELETE FROM replies WHERE created_at<?", (0.0,))
    sqlite.close()
    assert "USING INDEX replies_age" in plan[3], plan
    pg = PostgresStore(pg_database())
    with pg._pool.connection() as conn:
        indexed = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename='replies' AND indexname='replies_age'"
        ).fetchone()
    pg.close()
    assert indexed and "(created_at)" in indexed[0]


def test_postgres_outbox_and_registry_survive_reopening(pg_database):
    url = pg_database()
    s = PostgresStore(url)
    s.enqueue([("scale", rec(i), "r") for i in range(3)])
    s.remember_id("tracia", "sp_1", "opik", "u1")
    s.close()
    s = PostgresStore(url)  # the schema is there: no migration runs twice
    try:
        assert s.schema_version == len(MIGRATIONS)
        assert [it.record.id for it in s.claim("scale", 10, lease=30)] == ["rec-0", "rec-1", "rec-2"]
        assert s.id_for("tracia", "sp_1", "opik") == "u1"
    finally:
        s.close()


def test_open_store_by_url(pg_database, tmp_path):
    from proxy.store import open_store

    for url, kind in (
        (pg_database(), PostgresStore),
        (f"sqlite:///{tmp_path}/x.db", SQLiteStore),
        ("memory://", MemoryStore),
    ):
        s = open_store(url)
        assert isinstance(s, kind) and s.ping()
        getattr(s, "close", lambda: None)()


def test_one_commit_writes_records_rows_answers_ids_and_prints_together(store):
    from proxy.store.writes import Writes

    store.enqueue([("scale", rec(1), "r0")])
    [earlier] = store.claim("scale", 10, lease=30)
    store.put_record("gone", rec(9))
    store.commit(
        Writes(
            outbox=[("scale", rec(2), "r1")],
            replies=[("k1", b'{"id":"x"}')],
            records=[("key-3", rec(3)), ("gone", None)],
            learned=[("scale", "rec-3", "asmt-3")],
            delivered=[("scale", "rec-1", "print-1")],
            done=[earlier.id],
        )
    )
    assert store.get_record("key-3").id == "rec-3" and store.get_record("gone") is None
    assert store.learned("scale", "rec-3") == "asmt-3" and store.delivered("scale", "rec-1") == "print-1"
    assert store.reply_for("k1", 60) == b'{"id":"x"}'
    assert [it.record.id for it in store.claim("scale", 10, lease=30)] == ["rec-2"]  # rec-1's row is done
    store.commit(Writes())  # nothing to write is no error


def test_sqlite_wal_is_bounded_even_when_the_passive_checkpoints_lag(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_checkpoint, "EVERY", 10**9)  # the checkpoint thread never runs: a starved thread
    s = SQLiteStore(str(tmp_path / "wal.db"))
    wal, largest = tmp_path / "wal.db-wal", 0
    for i in range(3000):  # ~18 KB of WAL a commit: unchecked, 54 MB
        s.enqueue([("scale", rec(i), "r")])
        largest = max(largest, wal.stat().st_size) if i % 100 == 0 else largest
    assert largest < (sqlite_checkpoint.LIMIT + 1000) * 4120
    s.close()


def test_sqlite_checkpoints_bound_the_wal_under_writes_without_a_pause_and_close_empties_it(tmp_path):
    s = SQLiteStore(str(tmp_path / "wal.db"))
    wal, largest = tmp_path / "wal.db-wal", 0
    for i in range(5000):  # ~18 KB of WAL a commit: with no checkpoint finished, 90 MB
        s.enqueue([("scale", rec(i), "r")])
        largest = max(largest, wal.stat().st_size) if i % 100 == 0 else largest
    assert (
        largest < (sqlite_checkpoint.LIMIT + 1000) * 4120
    )  # frames of 4 KiB pages and their headers; a commit can pass LIMIT
    s.close()
    assert not wal.exists() or wal.stat().st_size == 0
