"""The durable mirror path: accept (commit before the client's answer) and deliver.

`accept(targets, records, request_id)` returns once the records are committed
to the store. Concurrent requests share one transaction (group commit): the
first waiter writes everything that queued up meanwhile. A worker per upstream
then delivers (proxy/delivery/worker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..model import Assessment
from ..upstream import Transport
from .target import Target
from .worker import Worker

log = logging.getLogger("proxy.delivery")


class Outbox:
    def __init__(self, store, transport: Transport, targets: dict[str, Target], settings_for, metrics):
        self.store, self.metrics = store, metrics
        self.workers = {name: Worker(t, store, transport, settings_for(name), metrics) for name, t in targets.items()}
        self._pending: list[tuple[list, asyncio.Future]] = []
        self._writing = False
        self._tasks: list[asyncio.Task] = []

    async def accept(self, targets: tuple[Target, ...], records: list[Assessment], request_id: str) -> None:
        rows = [(t.name, rec, request_id) for t in targets for rec in records]
        if not rows:
            return
        future = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        if not self._writing:
            asyncio.get_running_loop().create_task(self._commit())
        await future
        self.metrics.accepted(len(rows))
        for name in {t.name for t in targets}:
            self.workers[name].wake.set()

    async def _commit(self) -> None:
        self._writing = True
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await asyncio.to_thread(self.store.enqueue, [row for rows, _ in batch for row in rows])
                except Exception as exc:  # the store failed: every waiter hears of it
                    log.error("outbox commit of %d request(s) failed: %s", len(batch), exc)
                    for _, f in batch:
                        f.set_exception(exc)
                else:
                    for _, f in batch:
                        f.set_result(None)
        finally:
            self._writing = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(w.run(), name=f"deliver:{n}") for n, w in self.workers.items()]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks = []

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due in the outbox (tests, and a graceful stop)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if not await asyncio.to_thread(self.store.depth):
                return True
            await asyncio.sleep(0.05)
        return False
