"""Mirror delivery, in process: each upstream's requests go out concurrently
after the client has its answer, with a few quick retries.

This is the seam the durable outbox replaces: `submit(target, records)` is the
whole interface the pipeline uses.
"""

from __future__ import annotations

import asyncio
import logging
import random

from ..errors import UpstreamError
from ..model import Assessment, OutRequest
from ..upstream import Transport
from .target import Target

log = logging.getLogger("proxy.mirrors")
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


class Mirrors:
    def __init__(self, transport: Transport, attempts: int = 3, first_wait: float = 0.2):
        self.transport, self.attempts, self.first_wait = transport, attempts, first_wait
        self._tasks: set[asyncio.Task] = set()
        self.failed: list[tuple[str, list[Assessment], str]] = []  # (upstream, records, why)

    def submit(self, target: Target, records: list[Assessment], request_id: str) -> None:
        requests, refused = target.encode(records)
        for rec, why in refused:
            self._fail(target.name, [rec], why, request_id)
        for req in requests:
            task = asyncio.get_running_loop().create_task(self._deliver(target, req, request_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, target: Target, req: OutRequest, request_id: str) -> None:
        wait = self.first_wait
        for attempt in range(1, self.attempts + 1):
            try:
                resp = await target.send(self.transport, req)
            except UpstreamError as exc:
                why = exc.message
            else:
                if resp.status < 300:
                    target.learn_from(req, resp)
                    log.info("request %s: mirror %s %s %s -> %d", request_id, target.name, req.method, req.path, resp.status)
                    return
                why = f"{target.name} answered {resp.status}: {resp.body[:300].decode(errors='replace')}"
                if resp.status not in RETRYABLE:
                    break
            if attempt < self.attempts:
                await asyncio.sleep(wait * (0.5 + random.random()))
                wait *= 2
        self._fail(target.name, req.records, why, request_id)

    def _fail(self, upstream: str, records: list[Assessment], why: str, request_id: str) -> None:
        self.failed.append((upstream, records, why))
        log.warning("request %s: mirror %s did not take %d record(s): %s", request_id, upstream, len(records), why)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for deliveries in flight (at shutdown, and in tests)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
