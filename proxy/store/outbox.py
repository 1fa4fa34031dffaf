"""What the outbox hands to a delivery worker, and what it keeps when delivery gave up."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Assessment


@dataclass(slots=True)
class OutboxItem:
    id: int
    upstream: str
    record: Assessment
    request_id: str
    attempts: int
    created_at: float
    last_error: str | None = None
    # when a request that makes a new object at the vendor (a create that is not idempotent) was
    # about to carry it: set and committed before that send, gone with the row once settled. Claimed
    # again with it, the record may be at the vendor already (a crash, a timeout): README, Delivery
    sent_at: float | None = None
    # the key of the span (or trace) the row was parked for: still set when it came due by its safety
    # net, not by that span's arrival (which clears it)
    waits_for: str | None = None


@dataclass(slots=True)
class DeadLetter(OutboxItem):
    """An item whose delivery stopped: after max attempts or max age, or a permanent refusal."""
