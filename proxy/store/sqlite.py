"""The embedded store: one SQLite file (WAL) holding the id registry, the
accepted assessments, the outbox and its dead letters.

One connection guarded by a lock: every statement is short, and the outbox's
group commit (proxy/delivery/outbox.py) runs its inserts in a worker thread.
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

from ..model import Assessment
from . import codec
from .cached_ids import CachedIds, id_and_origin
from .outbox import DeadLetter, OutboxItem
from .sqlite_checkpoint import Checkpointer
from .writes import Enqueue, Writes

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
ADDED_COLUMNS = [("outbox", "sent_at", "REAL")]




TRY = 0  # seconds SQLite's own busy handler waits in one try, holding the store's lock: none, the waits are _locked's
BUSY_SLEEP = 0.005  # seconds between two tries, the store's lock let go
PING_PATIENCE = 0.25  # seconds ping waits for another process's write lock


class SQLiteStore(CachedIds, Enqueue):
    remote = False

    def __init__(self, path: str, sync: str = "normal", busy_timeout: float = 30.0):
        """`busy_timeout`: seconds a statement waits for another process's lock before it fails
        ("database is locked"); config `store_busy_timeout`."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path, self.busy_timeout = path, busy_timeout
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=busy_timeout)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
        # WAL checkpoints stall whoever runs them: a thread of their own does (sqlite_checkpoint.py).
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        # A WAL started over is cut back only past 64 MiB: the checkpoints keep it near 32 MiB
        # (sqlite_checkpoint.py), and cutting it cost its next write 4-14 ms.
        self._db.execute("PRAGMA journal_size_limit=67108864")
        self._db.executescript(SCHEMA)
        for table, column, kind in ADDED_COLUMNS:
            if column not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.execute(f"PRAGMA busy_timeout={int(TRY * 1000)}")  # from now on the waits are _locked's
        self._checkpointer = Checkpointer(path, self._lock) if path != ":memory:" else None
        self._commits = 0
        self._id_caches()

    @contextlib.contextmanager
    def _locked(self, write: bool = False, patience: float | None = None):
        """The store's lock, and with `write` a transaction (BEGIN IMMEDIATE ... COMMIT). While
        another process holds the database (SQLITE_BUSY), tried again every few ms with the
        store's lock let go, for `patience` (busy_timeout): then "database is locked" is raised."""
        deadline = time.monotonic() + (self.busy_timeout if patience is None else patience)
        while True:
            self._lock.acquire()
            try:
                if write:
                    self._db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                self._lock.release()
                if not _busy(exc) or time.monotonic() >= deadline:
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
            self._lock.release()

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
        try:  # at once, as nearly always; the retrying path only where SQLite found the database busy
            with self._lock:
                return self._db.execute(sql, args).fetchone()
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return self._read(lambda db: db.execute(sql, args).fetchone())

    def _all(self, sql: str, args: tuple = ()):
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return self._read(lambda db: db.execute(sql, args).fetchall())

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._locked(write=True) as db:
            return db.execute(sql, args).rowcount

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

    # --- id registry: cached reads in CachedIds ---------------------------------
    def _select_id(self, key: tuple[str, str, str]) -> str | None:
        row = self._one("SELECT native FROM ids WHERE vendor=? AND value=? AND target=?", key)
        return row[0] if row else None

    def _insert_id(self, key: tuple[str, str, str], native: str) -> str:
        with self._locked(write=True) as db:
            row = db.execute("INSERT INTO ids VALUES (?,?,?,?) ON CONFLICT DO NOTHING RETURNING native",
                             (*key, native)).fetchone()
            if row:
                return row[0]
            return db.execute("SELECT native FROM ids WHERE vendor=? AND value=? AND target=?", key).fetchone()[0]

    def _select_id_and_origin(self, key: tuple[str, str, str]) -> tuple[str | None, tuple[str, str] | None]:
        return id_and_origin(self._all(_ID_AND_ORIGIN, (*key, key[0], key[1])))

    def _select_origin(self, key: tuple[str, str]) -> tuple[str, str] | None:
        row = self._one("SELECT vendor, value FROM ids WHERE target=? AND native=? LIMIT 1", key)
        return (row[0], row[1]) if row else None

    # --- accepted assessments --------------------------------------------------
    def put_record(self, key: str, record: Assessment) -> None:
        self._write("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)", _record_row(key, record))

    def get_record(self, key: str) -> Assessment | None:
        row = self._one("SELECT record FROM records WHERE key=?", (key,))
        return codec.load(row[0]) if row else None

    def drop_record(self, key: str) -> None:
        self._write("DELETE FROM records WHERE key=?", (key,))

    def records_about(self, entity_value: str) -> list[Assessment]:
        rows = self._all("SELECT record FROM records WHERE trace=? OR span=? ORDER BY rowid", (entity_value, entity_value))
        return [codec.load(r[0]) for r in rows]

    def record_named(self, entity_value: str, name: str) -> Assessment | None:
        row = self._one("SELECT record FROM records WHERE entity=? AND name=? ORDER BY rowid DESC LIMIT 1", (entity_value, name))
        return codec.load(row[0]) if row else None

    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None:
        self._write("INSERT OR REPLACE INTO learned VALUES (?,?,?)", (upstream, record_id, vendor_id))

    def learned(self, upstream: str, record_id: str) -> str | None:
        row = self._one("SELECT vendor_id FROM learned WHERE upstream=? AND record_id=?", (upstream, record_id))
        return row[0] if row else None

    def learned_by(self, upstream: str, vendor_id: str) -> str | None:
        row = self._one("SELECT record_id FROM learned WHERE upstream=? AND vendor_id=? LIMIT 1", (upstream, vendor_id))
        return row[0] if row else None

    def get_span(self, key: str):
        row = self._one("SELECT span FROM spans WHERE key=?", (key,))
        return codec.load(row[0]) if row else None

    def put_span(self, key: str, span) -> None:
        self._write("INSERT OR REPLACE INTO spans VALUES (?,?)", (key, codec.dump(span)))

    def mark_delivered(self, upstream: str, prints: list[tuple[str, str]]) -> None:
        with self._locked(write=True) as db:
            db.executemany("INSERT OR REPLACE INTO delivered VALUES (?,?,?)", [(upstream, r, p) for r, p in prints])

    def delivered(self, upstream: str, record_id: str) -> str | None:
        row = self._one("SELECT print FROM delivered WHERE upstream=? AND record_id=?", (upstream, record_id))
        return row[0] if row else None

    # --- outbox ----------------------------------------------------------------
    def commit(self, writes: Writes) -> None:
        """Everything in `writes` in one transaction (proxy/store/writes.py)."""
        statements = _statements(writes, time.time())  # serialized before the lock: readers wait only for SQLite
        aliases = self._taken_aliases()  # the id registry's aliases kept since the last commit (cached_ids.py)
        if aliases:
            statements.append(("INSERT INTO ids VALUES (?,?,?,?) ON CONFLICT DO NOTHING", aliases))
        try:
            with self._locked(write=True) as db:
                for sql, rows in statements:
                    db.executemany(sql, rows)
        except BaseException:
            self._put_back_aliases(aliases)
            raise
        self._commits += 1
        if self._checkpointer is not None:
            self._checkpointer.committed()  # outside the lock: readers go on

    def reply_for(self, key: str, max_age: float) -> bytes | None:
        row = self._one("SELECT reply FROM replies WHERE key=? AND created_at>=?", (key, time.time() - max_age))
        return row[0] if row else None

    def prune_replies(self, max_age: float) -> int:
        return self._write("DELETE FROM replies WHERE created_at<?", (time.time() - max_age,))

    def claim(self, upstream: str, limit: int, lease: float) -> list[OutboxItem]:
        """Due rows, oldest first, at most one per record (so a record's changes keep their order)."""
        now = time.time()
        with self._locked(write=True) as db:
            rows = db.execute(
                """SELECT id, record, request_id, attempts, created_at, last_error, sent_at FROM outbox o
                   WHERE upstream=? AND state='pending' AND next_at<=? AND (claimed_until IS NULL OR claimed_until<?)
                     AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.upstream=o.upstream AND p.record_id=o.record_id
                                     AND p.state='pending' AND p.id<o.id)
                   ORDER BY id LIMIT ?""", (upstream, now, now, limit)).fetchall()
            db.executemany("UPDATE outbox SET claimed_until=? WHERE id=?", [(now + lease, r[0]) for r in rows])
        return [OutboxItem(r[0], upstream, codec.load(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def done(self, ids: list[int]) -> None:
        with self._locked(write=True) as db:
            db.executemany("DELETE FROM outbox WHERE id=?", [(i,) for i in ids])

    def release(self, ids: list[int]) -> None:
        with self._locked(write=True) as db:
            db.executemany("UPDATE outbox SET claimed_until=NULL WHERE id=?", [(i,) for i in ids])

    def retry(self, item_id: int, next_at: float, error: str, maybe_sent: bool = False) -> None:
        self._write("UPDATE outbox SET attempts=attempts+1, next_at=?, claimed_until=NULL, last_error=?,"
                    " sent_at=CASE WHEN ? THEN sent_at END WHERE id=?", (next_at, error, maybe_sent, item_id))

    def bury(self, item_id: int, error: str, maybe_sent: bool = False) -> None:
        self._write("UPDATE outbox SET state='dead', attempts=attempts+1, claimed_until=NULL, last_error=?,"
                    " sent_at=CASE WHEN ? THEN sent_at END WHERE id=?", (error, maybe_sent, item_id))

    def depth(self) -> dict[str, tuple[int, float | None]]:
        rows = self._all("SELECT upstream, COUNT(*), MIN(created_at) FROM outbox WHERE state='pending' GROUP BY upstream")
        return {r[0]: (r[1], r[2]) for r in rows}

    def dead_letters(self, upstream: str | None = None, limit: int = 100) -> list[DeadLetter]:
        sql = ("SELECT id, upstream, record, request_id, attempts, created_at, last_error, sent_at"
               " FROM outbox WHERE state='dead'")
        rows = self._all(sql + (" AND upstream=?" if upstream else "") + " ORDER BY id LIMIT ?", ((upstream, limit) if upstream else (limit,)))
        return [DeadLetter(r[0], r[1], codec.load(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]

    def replay(self, ids: list[int]) -> int:
        now = time.time()
        with self._locked(write=True) as db:
            return sum(db.execute("UPDATE outbox SET state='pending', attempts=0, next_at=?, created_at=?, claimed_until=NULL"
                                  " WHERE id=? AND state='dead'", (now, now, i)).rowcount for i in ids)

    def drop(self, ids: list[int]) -> int:
        with self._locked(write=True) as db:
            return sum(db.execute("DELETE FROM outbox WHERE id=? AND state='dead'", (i,)).rowcount for i in ids)

    # --- back-fill checkpoints --------------------------------------------------
    def checkpoint(self, key: str) -> str | None:
        row = self._one("SELECT state FROM checkpoints WHERE key=?", (key,))
        return row[0] if row else None

    def save_checkpoint(self, key: str, state: str) -> None:
        self._write("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?)", (key, state, time.time()))


def _statements(w: Writes, now: float) -> list[tuple[str, list[tuple]]]:
    """The statements that apply `w`, each with its rows, in the order they must run."""
    out = []
    if w.outbox:
        out.append(("INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at) VALUES (?,?,?,?,?,?)",
                    [(up, rec.id, codec.dump(rec), rid, now, now) for up, rec, rid in w.outbox]))
    if w.replies:
        out.append(("INSERT OR REPLACE INTO replies VALUES (?,?,?)", [(k, r, now) for k, r in w.replies]))
    for key, rec in w.records:  # in order: a request may put a record and drop another
        out.append(("DELETE FROM records WHERE key=?", [(key,)]) if rec is None else
                   ("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)", [_record_row(key, rec)]))
    if w.learned:
        out.append(("INSERT OR REPLACE INTO learned VALUES (?,?,?)", w.learned))
    if w.delivered:
        out.append(("INSERT OR REPLACE INTO delivered VALUES (?,?,?)", w.delivered))
    if w.sending:
        out.append(("UPDATE outbox SET sent_at=? WHERE id=?", [(now, i) for i in w.sending]))
    if w.done:
        out.append(("DELETE FROM outbox WHERE id=?", [(i,) for i in w.done]))
    return out


_ID_AND_ORIGIN = """SELECT 0, native, NULL FROM ids WHERE vendor=? AND value=? AND target=?
UNION ALL SELECT * FROM (SELECT 1, vendor, value FROM ids WHERE target=? AND native=? ORDER BY vendor, value LIMIT 1)"""


def _record_row(key: str, record: Assessment) -> tuple:
    entity = record.entity_ref
    return (key, codec.dump(record), _v(record.trace_id), _v(record.span_id), None if entity is None else str(entity), record.name)


def _v(ref) -> str | None:
    return None if ref is None else ref.value


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds what the statement needs ("database is locked")."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "locked" in str(exc)
