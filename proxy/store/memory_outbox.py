"""The outbox half of MemoryStore: the same semantics as SQLite's, in dicts.

Called from several threads at once (each upstream's worker claims from a thread, the group
commit writes from another, /metrics reads the depth): every method that walks or changes the
rows holds the store's lock, as SQLite's connection lock does (a walk beside a change raised
"dictionary changed size during iteration" under load)."""

from __future__ import annotations

import itertools
import threading
import time

from ..model import Assessment
from .outbox import DeadLetter, OutboxItem


class MemoryOutbox:
    def __init__(self) -> None:
        self._rows: dict[int, dict] = {}
        self._next_id = itertools.count(1)
        self._replies: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.RLock()

    def _enqueue(
        self,
        rows: list[tuple[str, Assessment, str]],
        replies: list[tuple[str, bytes]],
        waiting: tuple[str, float, str] | None = None,  # (the span key, next_at, why): Writes.parked
    ) -> None:
        with self._lock:
            now = time.time()
            for key, reply in replies:
                self._replies[key] = (reply, now)
            for upstream, rec, request_id in rows:
                i = next(self._next_id)
                self._rows[i] = {
                    "id": i,
                    "upstream": upstream,
                    "record": rec,
                    "request_id": request_id,
                    "created_at": now,
                    "state": "pending",
                    "attempts": 0,
                    "next_at": now,
                    "claimed_until": 0.0,
                    "last_error": None,
                    "sent_at": None,
                }
                if waiting is not None:
                    key, next_at, why = waiting
                    self._rows[i].update(waits_for=key, next_at=next_at, last_error=why)

    def reply_for(self, key: str, max_age: float) -> bytes | None:
        hit = self._replies.get(key)
        return hit[0] if hit and hit[1] >= time.time() - max_age else None

    def prune_replies(self, max_age: float) -> int:
        with self._lock:
            cutoff = time.time() - max_age
            old = [k for k, (_, at) in self._replies.items() if at < cutoff]
            for k in old:
                del self._replies[k]
            return len(old)

    def claim(self, upstream: str, limit: int, lease: float) -> list[OutboxItem]:
        with self._lock:
            now, out, seen = time.time(), [], set()
            for row in self._rows.values():  # insertion order is id order
                if row["upstream"] != upstream or row["state"] != "pending":
                    continue
                rid = row["record"].id
                if rid in seen:
                    continue
                seen.add(rid)
                if row["next_at"] <= now and row["claimed_until"] < now:
                    row["claimed_until"] = now + lease
                    out.append(self._item(row, OutboxItem))
                    if len(out) >= limit:
                        break
            return out

    def _sending(self, ids: list[int]) -> None:
        with self._lock:
            now = time.time()
            for i in ids:
                if i in self._rows:
                    self._rows[i]["sent_at"] = now

    def done(self, ids: list[int]) -> None:
        with self._lock:
            for i in ids:
                self._rows.pop(i, None)

    def release(self, ids: list[int]) -> None:
        with self._lock:
            for i in ids:
                if i in self._rows:
                    self._rows[i]["claimed_until"] = 0.0

    def retry(
        self, item_id: int, next_at: float, error: str, maybe_sent: bool = False, waits_for: str | None = None
    ) -> None:
        with self._lock:
            row = self._rows[item_id]
            row.update(
                attempts=row["attempts"] + 1,
                next_at=next_at,
                claimed_until=0.0,
                last_error=error,
                sent_at=row["sent_at"] if maybe_sent else None,
                waits_for=waits_for,
            )

    def _arrived(self, arrivals: list[tuple[str | None, str]]) -> None:
        with self._lock:
            now = time.time()
            for row in self._rows.values():
                if row.get("waits_for") and row["state"] == "pending":
                    if any(key == row["waits_for"] and up in (None, row["upstream"]) for up, key in arrivals):
                        row.update(next_at=now, waits_for=None)

    def bury(self, item_id: int, error: str, maybe_sent: bool = False) -> None:
        with self._lock:
            row = self._rows[item_id]
            row.update(
                state="dead",
                attempts=row["attempts"] + 1,
                claimed_until=0.0,
                last_error=error,
                sent_at=row["sent_at"] if maybe_sent else None,
            )

    def depth(self) -> dict[str, tuple[int, float | None]]:
        with self._lock:
            out: dict[str, tuple[int, float | None]] = {}
            for row in self._rows.values():
                if row["state"] == "pending":
                    count, oldest = out.get(row["upstream"], (0, None))
                    out[row["upstream"]] = (
                        count + 1,
                        row["created_at"] if oldest is None else min(oldest, row["created_at"]),
                    )
            return out

    def dead_letters(self, upstream: str | None = None, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            rows = [r for r in self._rows.values() if r["state"] == "dead" and upstream in (None, r["upstream"])]
            return [self._item(r, DeadLetter) for r in rows[:limit]]

    def replay(self, ids: list[int]) -> int:
        with self._lock:
            now, n = time.time(), 0
            for i in ids:
                row = self._rows.get(i)
                if row and row["state"] == "dead":
                    row.update(state="pending", attempts=0, next_at=now, created_at=now, claimed_until=0.0)
                    n += 1
            return n

    def drop(self, ids: list[int]) -> int:
        with self._lock:
            return sum(1 for i in ids if self._rows.get(i, {}).get("state") == "dead" and self._rows.pop(i))

    def ping(self) -> bool:
        return True

    @staticmethod
    def _item(row: dict, cls):
        return cls(
            row["id"],
            row["upstream"],
            row["record"],
            row["request_id"],
            row["attempts"],
            row["created_at"],
            row["last_error"],
            row["sent_at"],
            row.get("waits_for"),
        )
