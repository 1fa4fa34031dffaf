"""Every statement the SQL stores run (sql_store.py), written once: SQLite's text and
PostgreSQL's differ only where their dialects do, and `Dialect` says where.

- placeholders: `?` here, `%s` for psycopg;
- an upsert: SQLite's `INSERT OR REPLACE` (the row made anew: a replaced record gets a new
  rowid, so it comes last), PostgreSQL's `ON CONFLICT (key) DO UPDATE` (a record's `seq` drawn
  again for the same order);
- a claim: on PostgreSQL one statement that leases the due rows it locks, `FOR UPDATE SKIP
  LOCKED`, as instances claim at once; SQLite has a single writer and reads the due rows, then
  leases them, in one write transaction (as one UPDATE ... RETURNING it took twice as long);
- which of several origins of one native id is meant: SQLite's first made (its index's order),
  PostgreSQL's first by (vendor, value) (ordering them cost SQLite's look-up half as much again);
- a set of outbox ids: one row each on SQLite (`executemany`), one array on PostgreSQL (`= ANY`);
- the rows of an INSERT of one `VALUES (...)` row: on SQLite one statement of all of them
  (`values_rows`: each call into SQLite gives up Python's lock and waits to take it back, ~40-90 µs
  beside a busy event loop, bench/RESULTS.md), on PostgreSQL psycopg's pipelined `executemany`.
"""

from __future__ import annotations

from dataclasses import dataclass

# OutboxItem's fields, in order
ITEM = "id, upstream, record, request_id, attempts, created_at, last_error, sent_at, waits_for"


@dataclass(frozen=True)
class Dialect:
    param: str  # a statement's placeholder
    replaces: bool  # an upsert is INSERT OR REPLACE, else INSERT ... ON CONFLICT (key) DO UPDATE
    arrival: str  # the column that orders records as they were last put
    skip_locked: str  # what a claim's row selection adds so that instances claiming at once take disjoint rows
    origins: str  # how several origins of one native id are ordered, the first taken
    id_array: bool  # a set of ids is one array parameter (`id = ANY(?)`), else one row per id (`id=?`)

    def text(self, sql: str) -> str:
        return sql if self.param == "?" else sql.replace("?", self.param)

    def upsert(self, table: str, columns: str, key: str, renew: str = "") -> str:
        """Insert a row, or replace the one with the same `key`; `renew`: a column drawn again from its
        default (INSERT OR REPLACE makes the whole row anew)."""
        names = [c.strip() for c in columns.split(",")]
        values = ",".join("?" * len(names))
        if self.replaces:
            return f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({values})"
        keys = {c.strip() for c in key.split(",")}
        sets = [f"{c}=EXCLUDED.{c}" for c in names if c not in keys] + ([f"{renew}=DEFAULT"] if renew else [])
        return f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {', '.join(sets)}"

    @property
    def id_in(self) -> str:
        return "id = ANY(?)" if self.id_array else "id=?"

    def ids(self, ids: list[int], *before) -> list[tuple]:
        """The parameter rows of a statement on `id_in` for these ids, each after the values `before`."""
        return [(*before, list(ids))] if self.id_array else [(*before, i) for i in ids]


SQLITE = Dialect(param="?", replaces=True, arrival="rowid", skip_locked="", origins="", id_array=False)
POSTGRES = Dialect(
    param="%s",
    replaces=False,
    arrival="seq",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    origins=" ORDER BY vendor, value",
    id_array=True,
)


# due rows, oldest first, at most one per record: a later row of a record waits while an earlier one is
# pending, whoever holds it (parameters: upstream, now, now, limit)
_DUE = (
    "FROM outbox o WHERE upstream=? AND state='pending' AND next_at<=?"
    " AND (claimed_until IS NULL OR claimed_until<?)"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.upstream=o.upstream AND p.record_id=o.record_id"
    " AND p.state='pending' AND p.id<o.id) ORDER BY id LIMIT ?"
)


def values_rows(sql: str, n: int) -> str | None:
    """`sql`, a statement of one `VALUES (?,...)` row, as the same statement of `n` rows (their
    parameters one after another); None where `sql` has no such row (an UPDATE, an INSERT ... SELECT)."""
    start = sql.find("VALUES (")
    if start < 0:
        return None
    end = sql.index(")", start) + 1
    row = sql[start + len("VALUES ") : end]
    return sql[:start] + "VALUES " + ",".join([row] * n) + sql[end:]


class Statements:
    """The statements' text in one dialect."""

    def __init__(self, d: Dialect):
        self.dialect = d
        for name, sql in _statements(d).items():
            setattr(self, name, d.text(sql))


def _statements(d: Dialect) -> dict[str, str]:
    ids, order = d.id_in, d.arrival
    return {
        # the id registry (cached_ids.py): a mapping once made is never changed
        "select_id": "SELECT native FROM ids WHERE vendor=? AND value=? AND target=?",
        "insert_id": "INSERT INTO ids VALUES (?,?,?,?) ON CONFLICT DO NOTHING RETURNING native",
        "insert_ids": "INSERT INTO ids VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
        # claimed mappings (cached_ids.py): each made unless its id was made before, or was made from another
        # (it has an origin: it is translated from that); the rows it made are counted (an INSERT first:
        # Python's sqlite3 counts the rows of a statement that starts with one, not with WITH)
        "claim_ids": "INSERT INTO ids SELECT column1, column2, column3, column4 FROM (VALUES (?,?,?,?)) AS c"
        " WHERE NOT EXISTS (SELECT 1 FROM ids o WHERE o.target=c.column1 AND o.native=c.column2)"
        " ON CONFLICT DO NOTHING",
        "select_origin": f"SELECT vendor, value FROM ids WHERE target=? AND native=?{d.origins} LIMIT 1",
        # rows (0, native, NULL) and (1, vendor, value): cached_ids.id_and_origin
        "select_id_and_origin": "SELECT 0, native, NULL FROM ids WHERE vendor=? AND value=? AND target=?"
        " UNION ALL SELECT * FROM (SELECT 1, vendor, value FROM ids WHERE target=? AND native=?"
        " ORDER BY vendor, value LIMIT 1) AS origin",
        "get_span": "SELECT span FROM spans WHERE key=?",
        # a span by its key, else by the key of the id its id was made from: a span key is "<vendor>:span:<id>"
        # (parameters: key, vendor, value)
        "span_named": "SELECT span FROM spans WHERE key=? UNION ALL SELECT * FROM (SELECT span FROM spans"
        f" WHERE key=(SELECT vendor || ':span:' || value FROM ids WHERE target=? AND native=?{d.origins} LIMIT 1))"
        " AS derived LIMIT 1",
        "put_span": d.upsert("spans", "key, span", "key"),
        # accepted records, what the upstreams have of them, answers
        "put_record": d.upsert("records", "key, record, trace, span, entity, name", "key", renew=order),
        "get_record": "SELECT record FROM records WHERE key=?",
        "drop_record": "DELETE FROM records WHERE key=?",
        "records_about": f"SELECT record FROM records WHERE trace=? OR span=? ORDER BY {order}",
        "record_named": f"SELECT record FROM records WHERE entity=? AND name=? ORDER BY {order} DESC LIMIT 1",
        "learn": d.upsert("learned", "upstream, record_id, vendor_id", "upstream, record_id"),
        "learned": "SELECT vendor_id FROM learned WHERE upstream=? AND record_id=?",
        "learned_by": "SELECT record_id FROM learned WHERE upstream=? AND vendor_id=? LIMIT 1",
        "mark_delivered": d.upsert("delivered", "upstream, record_id, print", "upstream, record_id"),
        "delivered": "SELECT print FROM delivered WHERE upstream=? AND record_id=?",
        "put_reply": d.upsert("replies", "key, reply, created_at", "key"),
        "reply_for": "SELECT reply FROM replies WHERE key=? AND created_at>=?",
        "prune_replies": "DELETE FROM replies WHERE created_at<?",
        # the outbox
        "enqueue": "INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at)"
        " VALUES (?,?,?,?,?,?)",
        # a row waiting for its span from the start: due at once, and waiting for nothing, if the span is there
        "enqueue_parked": "INSERT INTO outbox (upstream, record_id, record, request_id, created_at, next_at, waits_for,"
        " last_error) SELECT ?,?,?,?,?, CASE WHEN s.n > 0 THEN ? ELSE ? END, CASE WHEN s.n > 0 THEN NULL ELSE ? END,"
        " CASE WHEN s.n > 0 THEN NULL ELSE ? END FROM (SELECT COUNT(*) AS n FROM spans WHERE key=?) AS s",
        "due": f"SELECT {ITEM} {_DUE}",  # then "lease", in one write transaction (SQLite)
        "lease": f"UPDATE outbox SET claimed_until=? WHERE {ids}",
        "claim": f"WITH due AS (SELECT id {_DUE}{d.skip_locked})"  # the due rows locked and leased at once
        f" UPDATE outbox SET claimed_until=? WHERE id IN (SELECT id FROM due) RETURNING {ITEM}",
        "sending": f"UPDATE outbox SET sent_at=? WHERE {ids}",
        "done": f"DELETE FROM outbox WHERE {ids}",
        "release": f"UPDATE outbox SET claimed_until=NULL WHERE {ids}",
        "retry": "UPDATE outbox SET attempts=attempts+1, next_at=?, claimed_until=NULL, last_error=?,"
        " sent_at=CASE WHEN ? THEN sent_at END, waits_for=? WHERE id=?",
        # rows waiting for a span (or trace) that has arrived: due now (Writes.arrived)
        "arrived": "UPDATE outbox SET next_at=?, waits_for=NULL WHERE waits_for=? AND state='pending'",
        "arrived_at": "UPDATE outbox SET next_at=?, waits_for=NULL"
        " WHERE waits_for=? AND upstream=? AND state='pending'",
        "bury": "UPDATE outbox SET state='dead', attempts=attempts+1, claimed_until=NULL, last_error=?,"
        " sent_at=CASE WHEN ? THEN sent_at END WHERE id=?",
        "depth": "SELECT upstream, COUNT(*), MIN(created_at) FROM outbox WHERE state='pending' GROUP BY upstream",
        "dead_letters": f"SELECT {ITEM} FROM outbox WHERE state='dead' ORDER BY id LIMIT ?",
        "dead_letters_of": f"SELECT {ITEM} FROM outbox WHERE state='dead' AND upstream=? ORDER BY id LIMIT ?",
        "replay": "UPDATE outbox SET state='pending', attempts=0, next_at=?, created_at=?, claimed_until=NULL"
        f" WHERE {ids} AND state='dead'",
        "drop": f"DELETE FROM outbox WHERE {ids} AND state='dead'",
        # back-fill checkpoints
        "checkpoint": "SELECT state FROM checkpoints WHERE key=?",
        "save_checkpoint": d.upsert("checkpoints", "key, state, updated_at", "key"),
    }
