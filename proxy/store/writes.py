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

from dataclasses import dataclass, field

from ..model import Assessment


@dataclass(slots=True)
class Writes:
    outbox: list[tuple[str, Assessment, str]] = field(default_factory=list)  # (upstream, record, request id)
    # (upstream, record, request id, the span key it waits for, next_at, why): outbox rows that wait from the
    # start for the span (or trace) they are about, due at next_at or when it arrives (Outbox.stage); due at
    # once if the store has the span by the commit
    parked: list[tuple[str, Assessment, str, str, float, str]] = field(default_factory=list)
    replies: list[tuple[str, bytes]] = field(default_factory=list)  # (dedupe key, answer)
    records: list[tuple[str, Assessment | None]] = field(default_factory=list)  # (key, record); None drops it
    learned: list[tuple[str, str, str]] = field(default_factory=list)  # (upstream, record id, the upstream's id for it)
    delivered: list[tuple[str, str, str]] = field(default_factory=list)  # (upstream, record id, print)
    done: list[int] = field(default_factory=list)  # outbox rows delivered
    sending: list[int] = field(default_factory=list)  # outbox rows a create is about to carry (OutboxItem.sent_at)
    # (upstream, span key): the span (or trace) has arrived there (None: at the proxy); the rows of that
    # upstream (None: of every one) waiting for it (`retry(waits_for=)`) are due at once
    arrived: list[tuple[str | None, str]] = field(default_factory=list)
    # outbox rows not delivered: (row id, next_at, error, maybe sent, the span key it waits for) due again
    # later; (row id, error, maybe sent) dead letters
    retried: list[tuple[int, float, str, bool, str | None]] = field(default_factory=list)
    buried: list[tuple[int, str, bool]] = field(default_factory=list)
    # (vendor, value, target, native): new id mappings a request made and will send (IdRegistry.claim_id),
    # settled first: each kept as made, or as another request or instance made it first
    claims: list[tuple[str, str, str, str]] = field(default_factory=list)

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
        for name in self.__slots__:
            theirs = getattr(other, name)
            if theirs:  # most are empty: a request writes two or three kinds
                getattr(self, name).extend(theirs)


class Enqueue:
    """`enqueue(rows, replies)`: the outbox-only commit, for callers with nothing else to write."""

    def enqueue(self, rows: list[tuple[str, Assessment, str]], replies: list[tuple[str, bytes]] = ()) -> None:
        self.commit(Writes(outbox=list(rows), replies=list(replies)))
