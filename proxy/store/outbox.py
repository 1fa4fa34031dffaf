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


@dataclass(slots=True)
class DeadLetter(OutboxItem):
    """An item whose delivery stopped: after max attempts or max age, or a permanent refusal."""
