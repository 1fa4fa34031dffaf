"""The shared store: PostgreSQL, for several proxy instances (or worker processes)
on one database. `store: "postgresql://user:pass@host:5432/db"`.

The same tables and the same semantics as SQLiteStore (the reference backend),
made safe for many writers on many machines:

- **Outbox claims** lock the rows they take with `FOR UPDATE SKIP LOCKED` and set
  the lease in the same statement: two instances claiming at once get disjoint
  rows, and neither waits for the other. "At most one row per record" (a score's
  overwrite never overtakes its first write) holds across instances too: a later
  row of a record is not due while an earlier one is pending, whoever holds it.
- **The id registry** is `INSERT ... ON CONFLICT DO NOTHING`, then a read in a new
  statement (so it sees the row a racing instance committed): the same foreign id
  never gets two native ids.
- **The schema** is created or migrated at start-up, under an advisory lock, so
  instances starting together do not race; `feedback_proxy_schema` holds its version.

The Store interface is synchronous: the event loop calls it for short look-ups,
a worker thread for the group commit and the claims. So the driver is psycopg 3
(synchronous, C-accelerated with `psycopg[binary]`), with a small connection pool
(psycopg_pool): a caller takes a connection for one statement or one transaction
and gives it back, so the loop's look-ups never queue behind a thread's commit the
way they would on one lock-guarded connection. Statements run in autocommit; the
multi-statement writes (commit, claim) run in one explicit transaction each.
psycopg prepares a statement on a connection after its fifth use. Id mappings never
change once made, so each process caches those it has seen (bounded).

Times (`next_at`, leases) are the instances' own clocks, as with SQLite: keep the
machines' clocks in sync (NTP); a skew well under `lease_seconds` is harmless.
"""

from __future__ import annotations

import time
from typing import Any

from ..model import Assessment
from . import codec
from .cached_ids import CachedIds, id_and_origin
from .outbox import DeadLetter, OutboxItem
from .writes import Enqueue, Writes

try:
    import psycopg
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - a dependency of the package
    raise ImportError("store: postgresql:// needs psycopg 3 and psycopg_pool: pip install 'psycopg[binary]' psycopg_pool") from exc

LOCK_KEY = 0x66656564  # pg_advisory_xact_lock key for schema changes: "feed"

# Each entry moves the schema one version up; append, never edit a released one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE ids (
      vendor TEXT NOT NULL, value TEXT NOT NULL, target TEXT NOT NULL, native TEXT NOT NULL,
      PRIMARY KEY (vendor, value, target));
    CREATE INDEX ids_native ON ids (target, native);
    CREATE TABLE records (
      key TEXT PRIMARY KEY, seq BIGSERIAL NOT NULL, record BYTEA NOT NULL, trace TEXT, span TEXT, entity TEXT, name TEXT);
    CREATE INDEX records_trace ON records (trace, seq);
    CREATE INDEX records_span ON records (span, seq);
    CREATE INDEX records_named ON records (entity, name, seq);
    CREATE TABLE learned (
      upstream TEXT NOT NULL, record_id TEXT NOT NULL, vendor_id TEXT NOT NULL, PRIMARY KEY (upstream, record_id));
    CREATE TABLE outbox (
      id BIGSERIAL PRIMARY KEY, upstream TEXT NOT NULL, record_id TEXT NOT NULL,
      record BYTEA NOT NULL, request_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
      next_at DOUBLE PRECISION NOT NULL, claimed_until DOUBLE PRECISION, last_error TEXT);
    CREATE INDEX outbox_due ON outbox (upstream, id) WHERE state = 'pending';
    CREATE INDEX outbox_record ON outbox (upstream, record_id, id) WHERE state = 'pending';
    CREATE INDEX outbox_dead ON outbox (upstream, id) WHERE state = 'dead';
    CREATE TABLE spans (key TEXT PRIMARY KEY, span BYTEA NOT NULL);
    CREATE TABLE delivered (
      upstream TEXT NOT NULL, record_id TEXT NOT NULL, print TEXT NOT NULL, PRIMARY KEY (upstream, record_id));
    CREATE TABLE replies (key TEXT PRIMARY KEY, reply BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL);
    CREATE INDEX replies_age ON replies (created_at);
    """,
    # 2: back-fill checkpoints (proxy/backfill/checkpoint.py)
    """
    CREATE TABLE checkpoints (key TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL);
    """,
    # 3: a create about to be sent is marked (OutboxItem.sent_at); a learned id's record found by the id
    """
    ALTER TABLE outbox ADD COLUMN sent_at DOUBLE PRECISION;
    CREATE INDEX learned_vendor ON learned (upstream, vendor_id);
    """,
]

_ITEM = "o.id, o.upstream, o.record, o.request_id, o.attempts, o.created_at, o.last_error, o.sent_at"


class PostgresStore(CachedIds, Enqueue):
    remote = True

    def __init__(self, url: str, pool_size: int = 8, connect_timeout: float = 10.0):
        self.url = url
        self._id_caches()
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, kwargs={"autocommit": True}, timeout=connect_timeout,
                                    name="feedback-proxy", open=False)
        self._pool.open(wait=True, timeout=connect_timeout)
        try:
            self.schema_version = self._migrate()
        except BaseException:
            self._pool.close()
            raise

    def _migrate(self) -> int:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            conn.execute("CREATE TABLE IF NOT EXISTS feedback_proxy_schema (version INTEGER NOT NULL)")
            version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM feedback_proxy_schema").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(f"the database's schema is version {version}, newer than this proxy's ({len(MIGRATIONS)}): upgrade the proxy")
            for number, sql in enumerate(MIGRATIONS[version:], version + 1):
                conn.execute(sql)
                conn.execute("INSERT INTO feedback_proxy_schema VALUES (%s)", (number,))
            return len(MIGRATIONS)

    def _one(self, sql: str, args: tuple = ()) -> Any:
        with self._pool.connection() as conn:
            return conn.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple = ()) -> list:
        with self._pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._pool.connection() as conn:
            return conn.execute(sql, args).rowcount

    def ping(self) -> bool:
        return self._one("SELECT 1")[0] == 1

    def close(self) -> None:
        self._pool.close()

    # --- id registry: cached reads in CachedIds ---------------------------------
    def _select_id(self, key: tuple[str, str, str]) -> str | None:
        row = self._one("SELECT native FROM ids WHERE vendor=%s AND value=%s AND target=%s", key)
        return row[0] if row else None

    def _insert_id(self, key: tuple[str, str, str], native: str) -> str:
        with self._pool.connection() as conn:
            row = conn.execute("INSERT INTO ids VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING RETURNING native", (*key, native)).fetchone()
            if not row:  # another statement, so another snapshot: it sees the row of the instance that won
                row = conn.execute("SELECT native FROM ids WHERE vendor=%s AND value=%s AND target=%s", key).fetchone()
        return row[0]

    def _select_id_and_origin(self, key: tuple[str, str, str]) -> tuple[str | None, tuple[str, str] | None]:
        return id_and_origin(self._all(_ID_AND_ORIGIN, (*key, key[0], key[1])))

    def _select_origin(self, key: tuple[str, str]) -> tuple[str, str] | None:
        row = self._one("SELECT vendor, value FROM ids WHERE target=%s AND native=%s ORDER BY vendor, value LIMIT 1", key)
        return (row[0], row[1]) if row else None

    # --- accepted assessments --------------------------------------------------
    def put_record(self, key: str, record: Assessment) -> None:
        self._write(_PUT_RECORD, _record_row(key, record))

    def get_record(self, key: str) -> Assessment | None:
        row = self._one("SELECT record FROM records WHERE key=%s", (key,))
        return codec.load(row[0]) if row else None

    def drop_record(self, key: str) -> None:
        self._write("DELETE FROM records WHERE key=%s", (key,))

    def records_about(self, entity_value: str) -> list[Assessment]:
        rows = self._all("SELECT record FROM records WHERE trace=%s OR span=%s ORDER BY seq", (entity_value, entity_value))
        return [codec.load(r[0]) for r in rows]

    def record_named(self, entity_value: str, name: str) -> Assessment | None:
        row = self._one("SELECT record FROM records WHERE entity=%s AND name=%s ORDER BY seq DESC LIMIT 1", (entity_value, name))
        return codec.load(row[0]) if row else None

    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None:
        self._write(_LEARN, (upstream, record_id, vendor_id))

    def learned(self, upstream: str, record_id: str) -> str | None:
        row = self._one("SELECT vendor_id FROM learned WHERE upstream=%s AND record_id=%s", (upstream, record_id))
        return row[0] if row else None

    def learned_by(self, upstream: str, vendor_id: str) -> str | None:
        row = self._one("SELECT record_id FROM learned WHERE upstream=%s AND vendor_id=%s LIMIT 1",
                        (upstream, vendor_id))
        return row[0] if row else None

    def get_span(self, key: str):
        row = self._one("SELECT span FROM spans WHERE key=%s", (key,))
        return codec.load(row[0]) if row else None

    def put_span(self, key: str, span) -> None:
        self._write("INSERT INTO spans VALUES (%s,%s) ON CONFLICT (key) DO UPDATE SET span=EXCLUDED.span", (key, codec.dump(span)))

    def mark_delivered(self, upstream: str, prints: list[tuple[str, str]]) -> None:
        if not prints:
            return
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(_DELIVERED, [(upstream, r, p) for r, p in prints])

    def delivered(self, upstream: str, record_id: str) -> str | None:
        row = self._one("SELECT print FROM delivered WHERE upstream=%s AND record_id=%s", (upstream, record_id))
        return row[0] if row else None

    # --- outbox ----------------------------------------------------------------
    def commit(self, w: Writes) -> None:
        """Everything in `w` in one transaction (proxy/store/writes.py)."""
        now = time.time()
        aliases = self._taken_aliases()  # the id registry's aliases kept since the last commit (cached_ids.py)
        try:
            self._commit(w, now, aliases)
        except BaseException:
            self._put_back_aliases(aliases)
            raise

    def _commit(self, w: Writes, now: float, aliases: list) -> None:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if aliases:
                cur.executemany("INSERT INTO ids VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING", aliases)
            if w.outbox:
                cur.executemany("INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at) VALUES (%s,%s,%s,%s,%s,%s)",
                                [(up, rec.id, codec.dump(rec), rid, now, now) for up, rec, rid in w.outbox])
            if w.replies:
                cur.executemany("INSERT INTO replies VALUES (%s,%s,%s) ON CONFLICT (key) DO UPDATE SET reply=EXCLUDED.reply, created_at=EXCLUDED.created_at",
                                [(k, r, now) for k, r in w.replies])
            for key, rec in w.records:  # in order: a request may put a record and drop another
                if rec is None:
                    cur.execute("DELETE FROM records WHERE key=%s", (key,))
                else:
                    cur.execute(_PUT_RECORD, _record_row(key, rec))
            if w.learned:
                cur.executemany(_LEARN, w.learned)
            if w.delivered:
                cur.executemany(_DELIVERED, w.delivered)
            if w.sending:
                cur.execute("UPDATE outbox SET sent_at=%s WHERE id = ANY(%s)", (now, list(w.sending)))
            if w.done:
                cur.execute("DELETE FROM outbox WHERE id = ANY(%s)", (list(w.done),))

    def reply_for(self, key: str, max_age: float) -> bytes | None:
        row = self._one("SELECT reply FROM replies WHERE key=%s AND created_at>=%s", (key, time.time() - max_age))
        return bytes(row[0]) if row else None

    def prune_replies(self, max_age: float) -> int:
        return self._write("DELETE FROM replies WHERE created_at<%s", (time.time() - max_age,))

    def claim(self, upstream: str, limit: int, lease: float) -> list[OutboxItem]:
        """Due rows, oldest first, at most one per record (so a record's changes keep their order).
        Rows another instance is claiming right now are skipped, not waited for."""
        now = time.time()
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"""WITH due AS (
                      SELECT id FROM outbox o
                      WHERE upstream=%s AND state='pending' AND next_at<=%s AND (claimed_until IS NULL OR claimed_until<%s)
                        AND o.id = (SELECT MIN(p.id) FROM outbox p
                                    WHERE p.upstream=o.upstream AND p.record_id=o.record_id AND p.state='pending')
                      ORDER BY id LIMIT %s
                      FOR UPDATE SKIP LOCKED)
                    UPDATE outbox o SET claimed_until=%s FROM due WHERE o.id=due.id
                    RETURNING {_ITEM}""", (upstream, now, now, limit, now + lease)).fetchall()
        rows.sort(key=lambda r: r[0])
        return [OutboxItem(*r[:2], codec.load(r[2]), *r[3:]) for r in rows]

    def done(self, ids: list[int]) -> None:
        if ids:
            self._write("DELETE FROM outbox WHERE id = ANY(%s)", (list(ids),))

    def release(self, ids: list[int]) -> None:
        if ids:
            self._write("UPDATE outbox SET claimed_until=NULL WHERE id = ANY(%s)", (list(ids),))

    def retry(self, item_id: int, next_at: float, error: str, maybe_sent: bool = False) -> None:
        self._write("UPDATE outbox SET attempts=attempts+1, next_at=%s, claimed_until=NULL, last_error=%s,"
                    " sent_at=CASE WHEN %s THEN sent_at END WHERE id=%s", (next_at, error, maybe_sent, item_id))

    def bury(self, item_id: int, error: str, maybe_sent: bool = False) -> None:
        self._write("UPDATE outbox SET state='dead', attempts=attempts+1, claimed_until=NULL, last_error=%s,"
                    " sent_at=CASE WHEN %s THEN sent_at END WHERE id=%s", (error, maybe_sent, item_id))

    def depth(self) -> dict[str, tuple[int, float | None]]:
        rows = self._all("SELECT upstream, COUNT(*), MIN(created_at) FROM outbox WHERE state='pending' GROUP BY upstream")
        return {r[0]: (r[1], r[2]) for r in rows}

    def dead_letters(self, upstream: str | None = None, limit: int = 100) -> list[DeadLetter]:
        sql = f"SELECT {_ITEM} FROM outbox o WHERE state='dead'"
        rows = self._all(sql + (" AND upstream=%s" if upstream else "") + " ORDER BY id LIMIT %s", ((upstream, limit) if upstream else (limit,)))
        return [DeadLetter(*r[:2], codec.load(r[2]), *r[3:]) for r in rows]

    def replay(self, ids: list[int]) -> int:
        now = time.time()
        return self._write("UPDATE outbox SET state='pending', attempts=0, next_at=%s, created_at=%s, claimed_until=NULL WHERE id = ANY(%s) AND state='dead'",
                           (now, now, list(ids))) if ids else 0

    def drop(self, ids: list[int]) -> int:
        return self._write("DELETE FROM outbox WHERE id = ANY(%s) AND state='dead'", (list(ids),)) if ids else 0

    # --- back-fill checkpoints --------------------------------------------------
    def checkpoint(self, key: str) -> str | None:
        row = self._one("SELECT state FROM checkpoints WHERE key=%s", (key,))
        return row[0] if row else None

    def save_checkpoint(self, key: str, state: str) -> None:
        self._write("INSERT INTO checkpoints VALUES (%s,%s,%s) ON CONFLICT (key) DO UPDATE SET state=EXCLUDED.state, updated_at=EXCLUDED.updated_at",
                    (key, state, time.time()))


# a replaced record moves to the end, as SQLite's INSERT OR REPLACE gives it a new rowid
_ID_AND_ORIGIN = """SELECT 0, native, NULL FROM ids WHERE vendor=%s AND value=%s AND target=%s
UNION ALL (SELECT 1, vendor, value FROM ids WHERE target=%s AND native=%s ORDER BY vendor, value LIMIT 1)"""
_PUT_RECORD = """INSERT INTO records (key, record, trace, span, entity, name) VALUES (%s,%s,%s,%s,%s,%s)
                 ON CONFLICT (key) DO UPDATE SET record=EXCLUDED.record, trace=EXCLUDED.trace, span=EXCLUDED.span,
                   entity=EXCLUDED.entity, name=EXCLUDED.name, seq=DEFAULT"""
_LEARN = "INSERT INTO learned VALUES (%s,%s,%s) ON CONFLICT (upstream, record_id) DO UPDATE SET vendor_id=EXCLUDED.vendor_id"
_DELIVERED = "INSERT INTO delivered VALUES (%s,%s,%s) ON CONFLICT (upstream, record_id) DO UPDATE SET print=EXCLUDED.print"


def _record_row(key: str, record: Assessment) -> tuple:
    entity = record.entity_ref
    return (key, codec.dump(record), _v(record.trace_id), _v(record.span_id), None if entity is None else str(entity), record.name)


def _v(ref) -> str | None:
    return None if ref is None else ref.value


__all__ = ["PostgresStore", "MIGRATIONS", "psycopg"]
