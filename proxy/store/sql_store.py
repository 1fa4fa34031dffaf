"""The Store over SQL, shared by SQLite and PostgreSQL: every method is its statement
(sql_statements.py) run through five primitives a backend gives, which hold what differs
in running them (SQLite: one connection under a lock, waiting out another process's write
lock; PostgreSQL: a connection pool):

- `_one(sql, args)`, `_all(sql, args)`: a read's first row, or all its rows;
- `_write(sql, args)`: one statement, committed; the rows it changed;
- `_returning(sql, args)`: one statement, committed; the rows its RETURNING gave;
- `_transaction(statements, at_once)`: (sql, rows) pairs, each run for all its rows, in one
  transaction; the rows each changed. `at_once`: `StoreBusy` where that would wait (Store.commit).

The id registry's reads are cached in the process (cached_ids.py). `commit` serializes what
it writes before it asks for a connection or a lock, so readers wait only for the database.
"""

from __future__ import annotations

import time

from ..model import Assessment, span_key
from . import codec
from .cached_ids import CachedIds, id_and_origin
from .errors import StoreBusy
from .outbox import DeadLetter, OutboxItem
from .sql_statements import Statements
from .writes import Enqueue, Writes


class SQLStore(CachedIds, Enqueue):
    sql: Statements  # the backend's dialect's
    commits_at_once = False  # whether a commit can ever be made without a wait (see Outbox.commit)

    # --- id registry: cached reads in CachedIds ---------------------------------
    def _select_id(self, key: tuple[str, str, str]) -> str | None:
        row = self._one(self.sql.select_id, key)
        return row[0] if row else None

    def _insert_id(self, key: tuple[str, str, str], native: str) -> str:
        rows = self._returning(self.sql.insert_id, (*key, native))
        if rows:
            return rows[0][0]
        return self._one(self.sql.select_id, key)[0]  # another statement: it sees the row of the instance that won

    def _select_id_and_origin(self, key: tuple[str, str, str]) -> tuple[str | None, tuple[str, str] | None]:
        return id_and_origin(self._all(self.sql.select_id_and_origin, (*key, key[0], key[1])))

    def _select_origin(self, key: tuple[str, str]) -> tuple[str, str] | None:
        row = self._one(self.sql.select_origin, key)
        return (row[0], row[1]) if row else None

    def get_span(self, key: str):
        row = self._one(self.sql.get_span, (key,))
        return codec.load(row[0]) if row else None

    def span_named(self, vendor: str, value: str):
        row = self._one(self.sql.span_named, (span_key(vendor, "span", value), vendor, value))
        return codec.load(row[0]) if row else None

    def put_span(self, key: str, span) -> None:
        self._write(self.sql.put_span, (key, codec.dump(span)))

    # --- accepted assessments, what the upstreams have of them, answers --------------
    def put_record(self, key: str, record: Assessment) -> None:
        self._write(self.sql.put_record, _record_row(key, record))

    def get_record(self, key: str) -> Assessment | None:
        row = self._one(self.sql.get_record, (key,))
        return codec.load(row[0]) if row else None

    def drop_record(self, key: str) -> None:
        self._write(self.sql.drop_record, (key,))

    def records_about(self, entity_value: str) -> list[Assessment]:
        return [codec.load(r[0]) for r in self._all(self.sql.records_about, (entity_value, entity_value))]

    def record_named(self, entity_value: str, name: str) -> Assessment | None:
        row = self._one(self.sql.record_named, (entity_value, name))
        return codec.load(row[0]) if row else None

    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None:
        self._write(self.sql.learn, (upstream, record_id, vendor_id))

    def learned(self, upstream: str, record_id: str) -> str | None:
        row = self._one(self.sql.learned, (upstream, record_id))
        return row[0] if row else None

    def learned_by(self, upstream: str, vendor_id: str) -> str | None:
        row = self._one(self.sql.learned_by, (upstream, vendor_id))
        return row[0] if row else None

    def mark_delivered(self, upstream: str, prints: list[tuple[str, str]]) -> None:
        if prints:
            self._transaction([(self.sql.mark_delivered, [(upstream, r, p) for r, p in prints])])

    def delivered(self, upstream: str, record_id: str) -> str | None:
        row = self._one(self.sql.delivered, (upstream, record_id))
        return row[0] if row else None

    def reply_for(self, key: str, max_age: float) -> bytes | None:
        row = self._one(self.sql.reply_for, (key, time.time() - max_age))
        return bytes(row[0]) if row else None

    def prune_replies(self, max_age: float) -> int:
        return self._write(self.sql.prune_replies, (time.time() - max_age,))

    # --- outbox ----------------------------------------------------------------
    def commit(self, writes: Writes, at_once: bool = False) -> bool:
        """Everything in `writes` in one transaction (proxy/store/writes.py), with the id registry's
        aliases kept since the last commit and the claims settled (cached_ids.py); the aliases are
        given back to the next commit if this one fails. `at_once`: see Outbox.commit (the claims
        stay pending where it did not write)."""
        if at_once and not self.commits_at_once:
            return False
        aliases: list = []
        try:
            statements = self._statements(writes, time.time())  # serialized before the connection or the lock
            claims = self._claims_to_make(writes.claims)
            aliases = self._taken_aliases()
            if aliases:
                statements.append((self.sql.insert_ids, aliases))
            if claims:
                statements.append((self.sql.claim_ids, claims))  # last: its count is the transaction's last
            made = self._transaction(statements, at_once) if statements else []
        except StoreBusy:
            self._put_back_aliases(aliases)
            return False
        except BaseException:
            self._put_back_aliases(aliases)
            self._claims_ended(writes.claims)
            raise
        try:
            if claims:
                self._claims_settled(claims, made[-1])
        finally:
            self._claims_ended(writes.claims)
        return True

    def _statements(self, w: Writes, now: float) -> list[tuple[str, list[tuple]]]:
        """The statements that apply `w`, each with its rows, in the order they must run."""
        sql, d, out = self.sql, self.sql.dialect, []
        if w.outbox:
            out.append((sql.enqueue, [(up, rec.id, codec.dump(rec), rid, now, now) for up, rec, rid in w.outbox]))
        if w.parked:
            rows = [
                (up, rec.id, codec.dump(rec), rid, now, now, at, key, why, key)
                for up, rec, rid, key, at, why in w.parked
            ]
            out.append((sql.enqueue_parked, rows))
        if w.replies:
            out.append((sql.put_reply, [(k, r, now) for k, r in w.replies]))
        for key, rec in w.records:  # in order: a request may put a record and drop another
            statement, row = (sql.drop_record, (key,)) if rec is None else (sql.put_record, _record_row(key, rec))
            if out and out[-1][0] == statement:  # a run of puts (or drops) is one statement of many rows
                out[-1][1].append(row)
            else:
                out.append((statement, [row]))
        if w.learned:
            out.append((sql.learn, w.learned))
        if w.delivered:
            out.append((sql.mark_delivered, w.delivered))
        if w.sending:
            out.append((sql.sending, d.ids(w.sending, now)))
        if w.done:
            out.append((sql.done, d.ids(w.done)))
        if w.retried:
            out.append((sql.retry, [(at, why, sent, waits, i) for i, at, why, sent, waits in w.retried]))
        if w.buried:
            out.append((sql.bury, [(why, sent, i) for i, why, sent in w.buried]))
        if w.arrived:
            anywhere = [(now, key) for up, key in w.arrived if up is None]
            there = [(now, key, up) for up, key in w.arrived if up is not None]
            out += [(sql.arrived, anywhere)] if anywhere else []
            out += [(sql.arrived_at, there)] if there else []
        return out

    def claim(self, upstream: str, limit: int, lease: float) -> list[OutboxItem]:
        """Due rows, oldest first, at most one per record (so a record's changes keep their order),
        leased in one statement. Rows another instance is claiming right now are skipped, not waited for."""
        now = time.time()
        rows = sorted(self._returning(self.sql.claim, (upstream, now, now, limit, now + lease)), key=lambda r: r[0])
        return [OutboxItem(*r[:2], codec.load(r[2]), *r[3:]) for r in rows]

    def done(self, ids: list[int]) -> None:
        if ids:
            self._transaction([(self.sql.done, self.sql.dialect.ids(ids))])

    def release(self, ids: list[int]) -> None:
        if ids:
            self._transaction([(self.sql.release, self.sql.dialect.ids(ids))])

    def retry(
        self, item_id: int, next_at: float, error: str, maybe_sent: bool = False, waits_for: str | None = None
    ) -> None:
        self._write(self.sql.retry, (next_at, error, maybe_sent, waits_for, item_id))

    def bury(self, item_id: int, error: str, maybe_sent: bool = False) -> None:
        self._write(self.sql.bury, (error, maybe_sent, item_id))

    def depth(self) -> dict[str, tuple[int, float | None]]:
        return {r[0]: (r[1], r[2]) for r in self._all(self.sql.depth)}

    def dead_letters(self, upstream: str | None = None, limit: int = 100) -> list[DeadLetter]:
        rows = (
            self._all(self.sql.dead_letters_of, (upstream, limit))
            if upstream
            else self._all(self.sql.dead_letters, (limit,))
        )
        return [DeadLetter(*r[:2], codec.load(r[2]), *r[3:]) for r in rows]

    def replay(self, ids: list[int]) -> int:
        now = time.time()
        return self._transaction([(self.sql.replay, self.sql.dialect.ids(ids, now, now))])[0] if ids else 0

    def drop(self, ids: list[int]) -> int:
        return self._transaction([(self.sql.drop, self.sql.dialect.ids(ids))])[0] if ids else 0

    # --- back-fill checkpoints --------------------------------------------------
    def checkpoint(self, key: str) -> str | None:
        row = self._one(self.sql.checkpoint, (key,))
        return row[0] if row else None

    def save_checkpoint(self, key: str, state: str) -> None:
        self._write(self.sql.save_checkpoint, (key, state, time.time()))


def _record_row(key: str, record: Assessment) -> tuple:
    entity = record.entity_ref
    return (
        key,
        codec.dump(record),
        _value(record.trace_id),
        _value(record.span_id),
        None if entity is None else str(entity),
        record.name,
    )


def _value(ref) -> str | None:
    return None if ref is None else ref.value
