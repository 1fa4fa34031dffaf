"""Group commit: the writes of every request in flight, in one transaction.

    await commit(writes)   # returns once `writes` are durable; raises what the store raised

The first caller starts a writer task; whoever calls before it runs, or while a
transaction runs, queues, and the next transaction takes everything queued. So a
busy proxy pays one commit for many requests, and an idle one a single request's
worth. The transaction is made on the event loop where the store can make it
without a wait (`Store.commit(at_once=True)`: SQLite, unless another thread or
process holds it or each commit fsyncs), else from a thread: from a thread, each
call into SQLite gave Python's lock up and waited ~1 ms to take it back from the
busy event loop, while holding the store's lock the loop's reads wait for
(bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import logging

from ..store import Outbox
from ..store.writes import Writes

log = logging.getLogger("proxy.delivery")


class GroupCommit:
    def __init__(self, store: Outbox):
        self.store = store
        self._queued: list[tuple[Writes, asyncio.Future]] = []
        self._writing = False
        # why the last transaction failed (the disk full, the store locked); None once one went through
        self.failing: str | None = None

    async def __call__(self, writes: Writes) -> None:
        if not writes:
            return
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queued.append((writes, future))
        if not self._writing:
            self._writing = True
            loop.create_task(self._write())
        await future

    async def _write(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                if len(batch) == 1:
                    merged = batch[0][0]  # the caller's own: it only reads it once committed
                else:
                    merged = Writes()
                    for writes, _ in batch:
                        merged.extend(writes)
                try:
                    if not self.store.commit(merged, at_once=True):
                        await asyncio.to_thread(self.store.commit, merged)
                except Exception as exc:  # the store failed: every waiter hears of it
                    self.failing = f"{type(exc).__name__}: {exc}"
                    log.error("commit of %d request(s)' writes failed: %s", len(batch), exc)
                    for _, f in batch:
                        if not f.done():  # a caller that went away was cancelled
                            f.set_exception(exc)
                else:
                    self.failing = None
                    for _, f in batch:
                        if not f.done():
                            f.set_result(None)
        finally:
            self._writing = False
