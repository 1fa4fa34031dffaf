"""The embedded store: one SQLite file (WAL) holding the id registry, the
accepted assessments, the outbox and its dead letters. What it runs is sql_store.py's,
in SQLite's dialect; here are the schema, the connection and its lock.

One connection guarded by a lock: every statement is short. A write also holds the writers'
lock, which a restart checkpoint takes too (sqlite_checkpoint.py): writes wait for that
checkpoint, the event loop's reads do not. The group commit
(proxy/delivery/committer.py) commits on the event loop where that takes no wait
(`commit(at_once=True)`: the lock free, the database not held by another process, no
fsync a commit), else from a thread. An INSERT's rows go ROWS_AT_ONCE to a statement (`_run`).
Another process holding the database's write lock (a second `serve`, a back-fill, an
operator's sqlite3 shell) is waited for by trying again every few ms, the store's lock
let go between tries, up to `store_busy_timeout`: the event loop's look-ups never queue
behind that wait.
`synchronous` is NORMAL by default: in WAL mode a commit survives the process
being killed (it is in the WAL before the call returns), but not a power cut;
`sync: full` fsyncs every commit (measured in bench/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

from . import codec
from .errors import StoreBusy
from .outbox import OutboxItem
from .sql_statements import SQLITE, Statements, values_rows
from .sql_store import SQLStore
from .sqlite_checkpoint import Checkpointer
from .writes import Writes

SCHEMA = """
CREATE TABLE IF NOT EXISTS ids (
  vendor TEXT NOT NULL, value TEXT NOT NULL, target TEXT NOT NULL, native TEXT NOT NULL,
  PRIMARY KEY (vendor, value, target));
CREATE INDEX IF NOT EXISTS ids_native ON ids (target, native);
CREATE TABLE IF NOT EXISTS records (
  key TEXT PRIMARY KEY, record BLOB NOT NULL, trace TEXT, span TEXT, entity TEXT, name TEXT);
CREATE INDEX IF NOT EXISTS records_trace ON records (trace);
CREATE INDEX IF NOT EXISTS records_span ON records (span);
CREATE INDEX IF NOT EXISTS records_named ON records (entity, name);
CREATE TABLE IF NOT EXISTS learned (
  upstream TEXT NOT NULL, record_id TEXT NOT NULL, vendor_id TEXT NOT NULL,
  PRIMARY KEY (upstream, record_id));
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, upstream TEXT NOT NULL, record_id TEXT NOT NULL,
  record BLOB NOT NULL, request_id TEXT NOT NULL, created_at REAL NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  next_at REAL NOT NULL, claimed_until REAL, last_error TEXT, sent_at REAL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (upstream, state, next_at);
CREATE INDEX IF NOT EXISTS outbox_record ON outbox (upstream, record_id, state);
CREATE TABLE IF NOT EXISTS spans (key TEXT PRIMARY KEY, span BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS delivered (
  upstream TEXT NOT NULL, record_id TEXT NOT NULL, print TEXT NOT NULL, PRIMARY KEY (upstream, record_id));
CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply BLOB NOT NULL, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS replies_age ON replies (created_at);
CREATE TABLE IF NOT EXISTS checkpoints (key TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS learned_vendor ON learned (upstream, vendor_id);
"""

# Columns added since a table was first made: added to a database of an older proxy at start.
ADDED_COLUMNS = [("outbox", "sent_at", "REAL"), ("outbox", "waits_for", "TEXT")]
# indexes on added columns: made once the columns are
ADDED_INDEXES = "CREATE INDEX IF NOT EXISTS outbox_waiting ON outbox (waits_for) WHERE waits_for IS NOT NULL;"

TRY = 0  # seconds SQLite's own busy handler waits in one try, holding the store's lock: none, the waits are _locked's
BUSY_SLEEP = 0.005  # seconds between two tries, the store's lock let go
# pages the connection keeps, in KiB: SQLite's default (2 MiB) held a fifth of the index pages a
# request's inserts land on at random once the file passed ~40 MB, and each miss was a read from
# the OS; with 16 MiB, 3.1 reads a request fell to 1.4 and the CPU a request by ~6% (bench/RESULTS.md)
CACHE_KIB = 16 * 1024
PING_PATIENCE = 0.25  # seconds ping waits for another process's write lock
# rows of an INSERT in one statement at most: each row count is a statement text of its own, which the
# connection keeps prepared (128 of them): unbounded, a commit of 1,000 outbox rows kept programs of
# megabytes, and the peak RSS under Opik 100-score batches grew from 100 to 230 MB (bench/RESULTS.md)
ROWS_AT_ONCE = 16


class SQLiteStore(SQLStore):
    remote = False
    sql = Statements(SQLITE)

    def __init__(self, path: str, sync: str = "normal", busy_timeout: float = 30.0):
        """`busy_timeout`: seconds a statement waits for another process's lock before it fails
        ("database is locked"); config `store_busy_timeout`."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path, self.busy_timeout = path, busy_timeout
        # a commit on the event loop (Outbox.commit at_once): not where each one fsyncs
        self.commits_at_once = sync != "full"
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=busy_timeout)
        self._lock = threading.RLock()  # the connection: one statement or transaction of ours at a time
        # held by a write from before its BEGIN to its COMMIT, then by a restart checkpoint (sqlite_checkpoint.py),
        # which makes writers wait but not reads: taken before _lock, never while holding it
        self._writing = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
        # WAL checkpoints stall whoever runs them: a thread of their own does (sqlite_checkpoint.py).
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        # A WAL started over is cut back only past 64 MiB: the checkpoints keep it near 32 MiB
        # (sqlite_checkpoint.py), and cutting it cost its next write 4-14 ms.
        self._db.execute("PRAGMA journal_size_limit=67108864")
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._db.executescript(SCHEMA)
        for table, column, kind in ADDED_COLUMNS:
            if column not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.executescript(ADDED_INDEXES)
        self._db.execute(f"PRAGMA busy_timeout={int(TRY * 1000)}")  # from now on the waits are _locked's
        self._max_params = self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._checkpointer = Checkpointer(path, self._writing) if path != ":memory:" else None
        self._commits = 0
        self._id_caches()

    @contextlib.contextmanager
    def _locked(self, write: bool = False, patience: float | None = None, at_once: bool = False):
        """The store's lock, and with `write` a transaction (BEGIN IMMEDIATE ... COMMIT). While
        another process holds the database (SQLITE_BUSY), tried again every few ms with the
        store's lock let go, for `patience` (busy_timeout): then "database is locked" is raised.
        `at_once`: StoreBusy instead of any wait, for the lock or the database."""
        deadline = time.monotonic() + (self.busy_timeout if patience is None else patience)
        while True:
            self._take(write, at_once)
            try:
                if write:
                    self._db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                self._let_go(write)
                if not _busy(exc):
                    raise
                if at_once:
                    raise StoreBusy(str(exc)) from None
                if time.monotonic() >= deadline:
                    raise
            time.sleep(BUSY_SLEEP)
        try:
            yield self._db
            if write:
                self._db.execute("COMMIT")
        except BaseException:
            if write and self._db.in_transaction:  # SQLite has rolled back itself on some errors (the disk full)
                self._db.execute("ROLLBACK")
            raise
        finally:
            self._let_go(write)

    def _take(self, write: bool, at_once: bool) -> None:
        """The store's lock, after the writers' with `write`; `at_once`: StoreBusy rather than a wait."""
        if write and not self._writing.acquire(blocking=not at_once):
            raise StoreBusy("another thread of this process is writing, or a restart checkpoint runs")
        if not self._lock.acquire(blocking=not at_once):
            if write:
                self._writing.release()
            raise StoreBusy("another thread of this process holds the store")

    def _let_go(self, write: bool) -> None:
        self._lock.release()
        if write:
            self._writing.release()

    def _read(self, fetch):
        """`fetch(db)` under the store's lock; a read SQLite finds busy (rare in WAL) is tried again."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                with self._locked() as db:
                    return fetch(db)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(BUSY_SLEEP)

    def _one(self, sql: str, args: tuple = ()):
        return self._fetch(sql, args, sqlite3.Cursor.fetchone)

    def _all(self, sql: str, args: tuple = ()):
        return self._fetch(sql, args, sqlite3.Cursor.fetchall)

    def _fetch(self, sql: str, args: tuple, fetch):
        try:  # at once, as nearly always; the retrying path only where SQLite found the database busy
            with self._lock:
                return fetch(self._db.execute(sql, args))
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return self._read(lambda db: fetch(db.execute(sql, args)))

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._locked(write=True) as db:
            return db.execute(sql, args).rowcount

    def _returning(self, sql: str, args: tuple = ()) -> list:
        with self._locked(write=True) as db:
            return db.execute(sql, args).fetchall()

    def _transaction(self, statements: list[tuple[str, list[tuple]]], at_once: bool = False) -> list[int]:
        with self._locked(write=True, at_once=at_once) as db:
            return [self._run(db, sql, rows) for sql, rows in statements]

    def _run(self, db: sqlite3.Connection, sql: str, rows: list[tuple]) -> int:
        """`sql` for every row; the rows it changed. An INSERT of one VALUES row runs as statements of
        up to ROWS_AT_ONCE rows each (values_rows): a call into SQLite for that many rows, not one a row."""
        if len(rows) == 1:
            return db.execute(sql, rows[0]).rowcount
        per = min(ROWS_AT_ONCE, self._max_params // len(rows[0])) if rows and rows[0] else 0
        full = values_rows(sql, per) if per >= 2 else None  # the statement of a whole chunk
        if full is None:
            return db.executemany(sql, rows).rowcount
        changed = 0
        for at in range(0, len(rows), per):
            chunk = rows[at : at + per]
            text = full if len(chunk) == per else values_rows(sql, len(chunk))
            changed += db.execute(text, [v for row in chunk for v in row]).rowcount
        return changed

    def ping(self) -> bool:
        """Whether the store can take a write now: its write lock, taken within PING_PATIENCE s
        (not busy_timeout: /readyz asks), and given back."""
        with self._locked(write=True, patience=PING_PATIENCE) as db:
            return db.execute("SELECT 1").fetchone()[0] == 1

    def close(self) -> None:
        with self._lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
            self._db.close()

    def claim(self, upstream: str, limit: int, lease: float) -> list[OutboxItem]:
        """As SQLStore's, in two statements in one write transaction: its single writer makes that
        safe, and as one UPDATE ... RETURNING SQLite took twice as long (sql_statements.py)."""
        now = time.time()
        with self._locked(write=True) as db:
            rows = db.execute(self.sql.due, (upstream, now, now, limit)).fetchall()
            db.executemany(self.sql.lease, SQLITE.ids([r[0] for r in rows], now + lease))
        return [OutboxItem(*r[:2], codec.load(r[2]), *r[3:]) for r in rows]

    def commit(self, writes: Writes, at_once: bool = False) -> bool:
        if not super().commit(writes, at_once):
            return False
        self._commits += 1
        if self._checkpointer is not None:  # outside the lock: readers go on
            self._checkpointer.committed(here=not at_once)  # on the event loop: by its thread
        return True


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds what the statement needs ("database is locked")."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "locked" in str(exc)
