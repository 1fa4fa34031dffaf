"""What one transaction of the store writes: the group commit's unit.

A request's writes (the records it accepted, what a translated primary
acknowledged and called them, the outbox rows for its mirrors and the answer a
retry must get) are collected here while it is handled and committed together
with those of every other request in flight (proxy/delivery/committer.py): one
transaction and one thread hop for all of them, before any of them is answered.
A delivery worker's bookkeeping (acknowledged prints, learned ids, rows done)
goes the same way.
"""

from __future__ import annotations

from ..model import Assessment


class Writes:
    """Each kind of write a list, empty until written (the comments say what a row is). Written
    out field by field, not a dataclass: its default_factory calls made a Writes cost 9k
    instructions and a loop over the slots an extend 9k; a request makes two and extends two
    (bench/RESULTS.md). tests/store/test_writes.py holds every field to __init__, extend and bool."""

    FIELDS = (
        "outbox", "parked", "replies", "records", "learned", "delivered", "done", "sending", "arrived", "retried",
        "buried", "claims",
    )  # fmt: skip
    __slots__ = FIELDS

    def __init__(
        self,
        outbox: list[tuple[str, Assessment, str]] | None = None,  # (upstream, record, request id)
        # (upstream, record, request id, the span key it waits for, next_at, why): outbox rows that wait from the
        # start for the span (or trace) they are about, due at next_at or when it arrives (Outbox.stage); due
        # at once if the store has the span by the commit
        parked: list[tuple[str, Assessment, str, str, float, str]] | None = None,
        replies: list[tuple[str, bytes]] | None = None,  # (dedupe key, answer)
        records: list[tuple[str, Assessment | None]] | None = None,  # (key, record); None drops it
        learned: list[tuple[str, str, str]] | None = None,  # (upstream, record id, the upstream's id for it)
        delivered: list[tuple[str, str, str]] | None = None,  # (upstream, record id, print)
        done: list[int] | None = None,  # outbox rows delivered
        sending: list[int] | None = None,  # outbox rows a create is about to carry (OutboxItem.sent_at)
        # (upstream, span key): the span (or trace) has arrived there (None: at the proxy); the rows of that
        # upstream (None: of every one) waiting for it (`retry(waits_for=)`) are due at once
        arrived: list[tuple[str | None, str]] | None = None,
        # outbox rows not delivered: (row id, next_at, error, maybe sent, the span key it waits for) due again
        # later; (row id, error, maybe sent) dead letters
        retried: list[tuple[int, float, str, bool, str | None]] | None = None,
        buried: list[tuple[int, str, bool]] | None = None,
        # (vendor, value, target, native): new id mappings a request made and will send (IdRegistry.claim_id),
        # settled first: each kept as made, or as another request or instance made it first
        claims: list[tuple[str, str, str, str]] | None = None,
    ) -> None:
        self.outbox = [] if outbox is None else outbox
        self.parked = [] if parked is None else parked
        self.replies = [] if replies is None else replies
        self.records = [] if records is None else records
        self.learned = [] if learned is None else learned
        self.delivered = [] if delivered is None else delivered
        self.done = [] if done is None else done
        self.sending = [] if sending is None else sending
        self.arrived = [] if arrived is None else arrived
        self.retried = [] if retried is None else retried
        self.buried = [] if buried is None else buried
        self.claims = [] if claims is None else claims

    def __bool__(self) -> bool:
        return bool(
            self.outbox
            or self.parked
            or self.replies
            or self.records
            or self.learned
            or self.delivered
            or self.done
            or self.sending
            or self.arrived
            or self.retried
            or self.buried
            or self.claims
        )

    def extend(self, other: Writes) -> None:
        """`other`'s writes after these (most of its lists are empty: a request writes two or three kinds)."""
        if other.outbox:
            self.outbox += other.outbox
        if other.parked:
            self.parked += other.parked
        if other.replies:
            self.replies += other.replies
        if other.records:
            self.records += other.records
        if other.learned:
            self.learned += other.learned
        if other.delivered:
            self.delivered += other.delivered
        if other.done:
            self.done += other.done
        if other.sending:
            self.sending += other.sending
        if other.arrived:
            self.arrived += other.arrived
        if other.retried:
            self.retried += other.retried
        if other.buried:
            self.buried += other.buried
        if other.claims:
            self.claims += other.claims

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Writes:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in Writes.FIELDS)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in Writes.FIELDS if getattr(self, name))
        return f"Writes({shown})"


class Enqueue:
    """`enqueue(rows, replies)`: the outbox-only commit, for callers with nothing else to write."""

    def enqueue(self, rows: list[tuple[str, Assessment, str]], replies: list[tuple[str, bytes]] = ()) -> None:
        self.commit(Writes(outbox=list(rows), replies=list(replies)))
