"""What /readyz answers: whether this instance can take writes and deliver them.

Answered from what the delivery workers and the group commit keep (a worker whose
last round failed; a commit that failed, e.g. the disk full) and from one store probe
at a time, run in a thread and waited for at most PROBE_WAIT s. Never from the store's
lock on the event loop: the answer comes within a second whatever the store is doing
(locked by another process past its busy timeout, out of disk).
"""

from __future__ import annotations

import asyncio

from .store import interfaces
from .store.writes import Writes

PROBE_WAIT = 0.5  # seconds /readyz waits for the store's answer
PROBE_KEY = "feedback-proxy:readyz"  # the kept-answer row a write probe replaces (pruned like any other)
PROBE_BYTES = 64 * 1024  # what the write probe writes: room for a request's worth of writes, not a byte


class Readiness:
    def __init__(self, store: interfaces.Outbox, outbox):
        self.store, self.outbox = store, outbox
        self._probe: asyncio.Task | None = None

    async def check(self) -> tuple[bool, dict]:
        """(ready, the answer's body): the store's state and each upstream worker's."""
        store = await self._store_state()
        workers = {name: w.problem or "ok" for name, w in self.outbox.workers.items()}
        ready = store == "ok" and all(v == "ok" for v in workers.values())
        return ready, {"status": "ok" if ready else "unavailable", "store": store, "workers": workers}

    async def _store_state(self) -> str:
        if self._probe is None or self._probe.done():  # one probe at a time: a stuck one is waited for, not repeated
            self._probe = asyncio.get_running_loop().create_task(self._run_probe(), name="readyz-probe")
        try:
            return await asyncio.wait_for(asyncio.shield(self._probe), PROBE_WAIT)
        except TimeoutError:
            return f"no answer within {PROBE_WAIT:g} s (locked by another process?)"

    async def _run_probe(self) -> str:
        try:
            if self.outbox.commit.failing:  # writes were refused: ready again once one goes through
                await self.outbox.commit(Writes(replies=[(PROBE_KEY, bytes(PROBE_BYTES))]))
            ok = await asyncio.to_thread(self.store.ping)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return "ok" if ok else "no answer"
