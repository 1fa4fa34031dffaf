"""The request or delivery the running code works for, in context variables.

asyncio copies the context into every task it creates, so a request's task (and
the threads it hands store calls to) and a worker's send each see their own:
log lines pick their request id up from here, and no function has to pass it on.
"""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

ATTEMPTS_KEPT = 16  # per request: a mirror retried for minutes keeps its last 16 attempts


@dataclass(slots=True, eq=False)
class Attempt:
    """One request to one upstream, as it went: what was sent (the first bytes) and the answer."""

    upstream: str
    upstream_vendor: str | None
    via: str  # "inline": while the client waited (the primary); "outbox": a worker's delivery
    method: str
    path: str
    attempt: int
    at: float
    duration_ms: float  # as measured; rounded where shown (proxy/ui/views.py, logs): round() is ~3k instructions
    status: int | None  # None: no answer (connection error, timeout)
    body: bytes  # the first bytes of what was sent (proxy/observe/transport.py BODY_KEPT)
    body_bytes: int
    encoding: str | None = None
    answer: bytes = b""  # the first bytes of an answer of 300 and above
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 300


@dataclass(slots=True, eq=False)
class RequestEntry:
    """One client request: how it came, how it was answered, and every upstream attempt made for it."""

    request_id: str
    client_request_id: str | None
    method: str
    path: str
    at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)
    vendor: str | None = None
    endpoint: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    attempts: list = field(default_factory=list)  # the last ATTEMPTS_KEPT, oldest first
    attempts_made: int = 0

    def add(self, attempt: Attempt) -> None:
        """A list trimmed by hand, not a deque(maxlen=): one made per request was a third of begin's instructions."""
        self.attempts.append(attempt)
        if len(self.attempts) > ATTEMPTS_KEPT:
            del self.attempts[0]
        self.attempts_made += 1


@dataclass(slots=True, frozen=True)
class Delivery:
    """A worker's send: the upstream, the requests whose records it carries, which attempt it is."""

    upstream: str
    request_ids: tuple[str, ...]
    attempt: int


REQUEST: ContextVar[RequestEntry | None] = ContextVar("feedback_proxy_request", default=None)
DELIVERY: ContextVar[Delivery | None] = ContextVar("feedback_proxy_delivery", default=None)

_SANE_ID = re.compile(r"[\x21-\x7e]{1,128}")
LOGGED_IDS = 100  # request ids written on one log line; the journal keeps them all


def client_request_id(value: str | None) -> str | None:
    """A client's X-Request-Id, if it is a sane token (printable, no spaces, at most 128 characters)."""
    if not value:  # most clients send none
        return None
    value = value.strip()
    return value if _SANE_ID.fullmatch(value) else None


def delivering(upstream: str, items) -> None:
    """Called by a worker before it sends `items` (outbox rows): its log lines and the
    attempt the transport sees then name the requests those records came from."""
    ids = tuple(dict.fromkeys(it.request_id for it in items))
    attempt = max((it.attempts for it in items), default=0) + 1
    DELIVERY.set(Delivery(upstream, ids, attempt))


def shown_ms(ms: float | None) -> float | None:
    """A duration as logs and the UI show it: to the hundredth of a millisecond."""
    return None if ms is None else round(ms, 2)


def note_request(vendor: str, endpoint: str, status: int) -> None:
    """What the pipeline matched and answered (called with the request metric)."""
    entry = REQUEST.get()
    if entry is not None:
        entry.vendor, entry.endpoint, entry.status = vendor, endpoint, status
        entry.duration_ms = (time.perf_counter() - entry.started) * 1000


def fields() -> dict:
    """The context's fields for a log line."""
    out: dict = {}
    entry = REQUEST.get()
    if entry is not None:
        out["request_id"] = entry.request_id
        if entry.client_request_id:
            out["client_request_id"] = entry.client_request_id
        out["method"], out["path"] = entry.method, entry.path
        for name in ("vendor", "endpoint", "status"):
            value = getattr(entry, name)
            if value is not None:
                out[name] = value
        if entry.duration_ms is not None:
            out["duration_ms"] = shown_ms(entry.duration_ms)
    delivery = DELIVERY.get()
    if delivery is not None:
        out["upstream"] = delivery.upstream
        out["request_ids"] = list(delivery.request_ids[:LOGGED_IDS])
        if len(delivery.request_ids) > LOGGED_IDS:
            out["request_ids_more"] = len(delivery.request_ids) - LOGGED_IDS
        out["attempt"] = delivery.attempt
    return out
