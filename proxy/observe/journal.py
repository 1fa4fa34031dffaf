"""The last requests this process answered, each with every upstream attempt made for it.

Bounded (the last `size` requests, ATTEMPTS_KEPT attempts each, the first BODY_KEPT
bytes of each body), in memory, per process: a view for the operator, not a record.
Attempts made later by a worker find their request here by its id.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from .context import DELIVERY, REQUEST, Attempt, RequestEntry, client_request_id


class Journal:
    def __init__(self, size: int = 200):
        self.size = size
        self._entries: OrderedDict[str, RequestEntry] = OrderedDict()

    def begin(self, request_id: str, method: str, path: str, client_id: str | None = None) -> RequestEntry:
        """A request came in: keep it, and make it the context of the code that handles it."""
        entry = RequestEntry(request_id, client_request_id(client_id), method, path)
        self._entries[request_id] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        REQUEST.set(entry)
        return entry

    @staticmethod
    def end(entry: RequestEntry, status: int) -> None:
        entry.status = status
        entry.duration_ms = (time.perf_counter() - entry.started) * 1000

    def attempted(self, attempt: Attempt) -> None:
        """An upstream attempt: to the request being answered, or to every request whose records a worker sent."""
        entry = REQUEST.get()
        if entry is not None and attempt.via == "inline":
            entry.add(attempt)
            return
        delivery = DELIVERY.get()
        for request_id in delivery.request_ids if delivery is not None else ():
            found = self._entries.get(request_id)
            if found is not None:
                found.add(attempt)

    def recent(self, limit: int = 50, query: str = "") -> list[RequestEntry]:
        """Newest first; `query` keeps those whose ids, path, vendor, endpoint or status contain it."""
        out = []
        query = query.strip().lower()
        for entry in reversed(self._entries.values()):
            if not query or query in _haystack(entry):
                out.append(entry)
                if len(out) >= limit:
                    break
        return out

    def get(self, request_id: str) -> RequestEntry | None:
        found = self._entries.get(request_id)
        if found is None:  # by the client's own X-Request-Id
            found = next((e for e in reversed(self._entries.values()) if e.client_request_id == request_id), None)
        return found

    def __len__(self) -> int:
        return len(self._entries)


def _haystack(entry: RequestEntry) -> str:
    return " ".join(
        str(v)
        for v in (
            entry.request_id,
            entry.client_request_id,
            entry.method,
            entry.path,
            entry.vendor,
            entry.endpoint,
            entry.status,
        )
        if v is not None
    ).lower()
