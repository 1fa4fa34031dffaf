"""The shared store: PostgreSQL, for several proxy instances (or worker processes)
on one database. `store: "postgresql://user:pass@host:5432/db"`.

The same tables, statements (sql_store.py, in PostgreSQL's dialect) and semantics as
SQLiteStore (the reference backend), made safe for many writers on many machines:

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
multi-statement writes (the group commit, rows settled together) run in one explicit
transaction each.
psycopg prepares a statement on a connection after its fifth use. Id mappings never
change once made, so each process caches those it has seen (bounded).

Times (`next_at`, leases) are the instances' own clocks, as with SQLite: keep the
machines' clocks in sync (NTP); a skew well under `lease_seconds` is harmless.
"""

from __future__ import annotations

from typing import Any

from .sql_statements import POSTGRES, Statements
from .sql_store import SQLStore

try:
    import psycopg
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - a dependency of the package
    raise ImportError(
        "store: postgresql:// needs psycopg 3 and psycopg_pool: pip install 'psycopg[binary]' psycopg_pool"
    ) from exc

LOCK_KEY = 0x66656564  # pg_advisory_xact_lock key for schema changes: "feed"

# Each entry moves the schema one version up; append, never edit a released one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE ids (
      vendor TEXT NOT NULL, value TEXT NOT NULL, target TEXT NOT NULL, native TEXT NOT NULL,
      PRIMARY KEY (vendor, value, target));
    CREATE INDEX ids_native ON ids (target, native);
    CREATE TABLE records (
      key TEXT PRIMARY KEY, seq BIGSERIAL NOT NULL, record BYTEA NOT NULL,
      trace TEXT, span TEXT, entity TEXT, name TEXT);
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
    # 4: a row waiting for a span (or trace) names it, and is due as soon as it arrives (Writes.arrived)
    """
    ALTER TABLE outbox ADD COLUMN waits_for TEXT;
    CREATE INDEX outbox_waiting ON outbox (waits_for) WHERE waits_for IS NOT NULL;
    """,
]


class PostgresStore(SQLStore):
    remote = True
    sql = Statements(POSTGRES)

    def __init__(self, url: str, pool_size: int = 8, connect_timeout: float = 10.0):
        self.url = url
        self._id_caches()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            timeout=connect_timeout,
            name="feedback-proxy",
            open=False,
        )
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
                raise RuntimeError(
                    f"the database's schema is version {version}, newer than this proxy's ({len(MIGRATIONS)}): upgrade "
                    f"the proxy"
                )
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

    _returning = _all  # in autocommit: a statement is a transaction of its own

    def _transaction(self, statements: list[tuple[str, list[tuple]]], at_once: bool = False) -> list[int]:
        changed = []  # never `at_once` (commits_at_once is False)
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for sql, rows in statements:  # one row at once: executemany's pipeline costs more
                cur.execute(sql, rows[0]) if len(rows) == 1 else cur.executemany(sql, rows)
                changed.append(max(cur.rowcount, 0))
        return changed

    def ping(self) -> bool:
        return self._one("SELECT 1")[0] == 1

    def close(self) -> None:
        self._pool.close()


__all__ = ["PostgresStore", "MIGRATIONS", "psycopg"]
