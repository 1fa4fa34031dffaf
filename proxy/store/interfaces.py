"""What the core asks of storage, in the small interfaces its users need. Every method is keyed
by plain strings, so a backend needs no knowledge of vendors or of the canonical model's internals.

Each module types its store against the smallest of these it uses: the id space and roots an
`IdRegistry`, the resolver and a target `Lookups`, the group commit, readiness, metrics and the
admin commands an `Outbox`, a back-fill's checkpoint `Checkpoints`. `Store` is their union, what a
backend (memory.py, sqlite.py, postgres.py) implements and what the app wires.
"""

from __future__ import annotations

from typing import Protocol

from ..model import Assessment, Span, span_key
from .outbox import DeadLetter, OutboxItem
from .writes import Writes


class Storage(Protocol):
    remote: bool  # each call is a network round trip: the request path makes its reads from a thread (store.reading)


class IdRegistry(Storage, Protocol):
    """(vendor, foreign id, target vendor) <-> native id, and the traces and spans seen so far."""

    def id_for(self, vendor: str, value: str, target: str) -> str | None: ...
    def remember_id(self, vendor: str, value: str, target: str, native: str) -> str:
        """Keep the first mapping ever made for this foreign id; returns the one kept."""

    def claim_id(self, vendor: str, value: str, target: str, native: str, claims: list) -> str:
        """remember_id on the request path, with no store call on it: the mapping this process holds
        (made now, or by a request still in flight); what must be settled is added to `claims`, for
        the group commit (Writes.claims) before anything made with it is sent. Then `claimed`
        says which mapping was kept."""

    def claimed(self, vendor: str, value: str, target: str) -> str | None:
        """The mapping kept, once the commit of its claim went through (None: the id has an origin)."""

    def lookup_cached(self, vendor: str, value: str, target: str) -> tuple[str | None, tuple[str, str] | None] | None:
        """lookup_id as far as this process knows it without asking the store's database; None: unknown."""

    def alias_id(self, vendor: str, value: str, target: str, native: str) -> None:
        """remember_id for a mapping no instance can make otherwise (an id a vendor takes as it is,
        the id a vendor gave a record): seen by this process at once, stored with the next commit."""

    def origin_of(self, target: str, native: str) -> tuple[str, str] | None:
        """Reverse: which (vendor, id) a native id was made from."""

    def lookup_id(self, vendor: str, value: str, target: str) -> tuple[str | None, tuple[str, str] | None]:
        """(id_for(vendor, value, target), None), or (None, origin_of(vendor, value)) where the first
        finds nothing: what a translation asks first, in one query where the store has to ask."""

    # the traces and spans seen so far, merged: key "<vendor>:<trace|span>:<id>"; and under
    # "<vendor>:root:<trace id>" which span is that trace's root (proxy/roots.py)
    def get_span(self, key: str) -> Span | None: ...
    def put_span(self, key: str, span: Span) -> None: ...
    def span_named(self, vendor: str, value: str) -> Span | None:
        """The span `vendor`'s span id `value` names: stored under that id, or under the id it was made
        from (origin_of: an Opik UUID the proxy made of a Tracia span id names the Tracia span); one
        query where the store has to ask."""


class Records(Storage, Protocol):
    """Accepted assessments, what each upstream has of them, and the answers repeated POSTs get."""

    # accepted assessments, by the id the client knows them by
    def put_record(self, key: str, record: Assessment) -> None: ...
    def get_record(self, key: str) -> Assessment | None: ...
    def drop_record(self, key: str) -> None: ...
    def records_about(self, entity_value: str) -> list[Assessment]: ...
    def record_named(self, entity_value: str, name: str) -> Assessment | None: ...

    # what each upstream called an assessment it created (Scale's assessment_id)
    def learn(self, upstream: str, record_id: str, vendor_id: str) -> None: ...
    def learned(self, upstream: str, record_id: str) -> str | None: ...
    def learned_by(self, upstream: str, vendor_id: str) -> str | None:
        """Reverse: which record an upstream's id was learned for (a read-back must not adopt another's)."""

    # what each upstream already has: a print of the record content it acknowledged
    def mark_delivered(self, upstream: str, prints: list[tuple[str, str]]) -> None: ...
    def delivered(self, upstream: str, record_id: str) -> str | None: ...

    # the answer a request with the same key gets again within max_age seconds
    def reply_for(self, key: str, max_age: float) -> bytes | None: ...
    def prune_replies(self, max_age: float) -> int: ...


class Outbox(Storage, Protocol):
    """Canonical records waiting for one upstream each, and the one transaction everything is written in."""

    def commit(self, writes: Writes, at_once: bool = False) -> bool:
        """Write everything in `writes` (outbox rows, answers, records, learned ids, prints, marks, rows done,
        and the id registry's aliases kept since the last commit) in one transaction; True.

        `at_once` (the group commit, on the event loop): only where that takes no wait, no other
        process's lock to wait out and no fsync; else nothing is written and it returns False (then
        the group commit commits from a thread). A store whose every write is a round trip
        (PostgreSQL) always returns False."""

    def enqueue(self, rows: list[tuple[str, Assessment, str]], replies: list[tuple[str, bytes]] = ()) -> None:
        """`commit` of outbox rows and answers only (store/writes.py `Enqueue`)."""

    def claim(self, upstream: str, limit: int, lease: float) -> list[OutboxItem]:
        """Due rows, oldest first, at most one per record (so a record's changes keep their order), leased."""

    def done(self, ids: list[int]) -> None: ...
    def release(self, ids: list[int]) -> None:
        """Give claimed items back before their lease runs out (a round that failed, a stop): due again at once."""

    def retry(
        self, item_id: int, next_at: float, error: str, maybe_sent: bool = False, waits_for: str | None = None
    ) -> None:
        """Due again at `next_at`, one attempt more. `maybe_sent`: the attempt may have reached the vendor
        (a timeout): its mark (OutboxItem.sent_at) stays; else it goes (an error answer, a refused connection).
        `waits_for`: the key of the span (or trace) it waits for; its arrival makes the row due at once
        (Writes.arrived), before `next_at`."""

    def bury(self, item_id: int, error: str, maybe_sent: bool = False) -> None:
        """Make an item a dead letter, keeping the last error (and its mark only if `maybe_sent`, as retry)."""

    def depth(self) -> dict[str, tuple[int, float | None]]: ...
    def dead_letters(self, upstream: str | None = None, limit: int = 100) -> list[DeadLetter]: ...
    def replay(self, ids: list[int]) -> int: ...
    def drop(self, ids: list[int]) -> int: ...
    def ping(self) -> bool:
        """Whether the store can take a write now (/readyz)."""


class Checkpoints(Storage, Protocol):
    """Where a back-fill job stopped (proxy/backfill/checkpoint.py), as JSON text."""

    def checkpoint(self, key: str) -> str | None: ...
    def save_checkpoint(self, key: str, state: str) -> None: ...


class Lookups(IdRegistry, Records, Protocol):
    """What a translation reads and the resolver keeps: ids, spans, records (resolve.py, delivery/target.py)."""


class Delivering(Lookups, Outbox, Protocol):
    """What delivery works with: the outbox, and the look-ups an encode makes (delivery/worker.py, outbox.py)."""


class Store(IdRegistry, Records, Outbox, Checkpoints, Protocol):
    """Everything: what a backend implements and the app wires."""


def span_named(store: IdRegistry, vendor: str, value: str) -> Span | None:
    """IdRegistry.span_named of a store whose look-ups are in memory: get_span, then origin_of."""
    span = store.get_span(span_key(vendor, "span", value))
    if span is None and (origin := store.origin_of(vendor, value)) is not None:
        span = store.get_span(span_key(origin[0], "span", origin[1]))
    return span
