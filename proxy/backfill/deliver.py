"""Delivering what the back-fill queued: the target upstream's own outbox worker (the
code `serve` runs), in this process, until nothing for the target is waiting, or until
Ctrl-C (`finish`: the sends under way end and are settled, no other starts). A running
`serve` on the same store may deliver some of them too: claims are leased, and each
upstream's delivered prints keep a record from being sent twice."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Callable

POLL = 0.1


class Delivery:
    def __init__(self, proxy, upstream: str):
        self.proxy, self.upstream = proxy, upstream
        self.worker = proxy.outbox.workers[upstream]
        self.task: asyncio.Task | None = None
        self.finishing = False  # Ctrl-C: no send starts any more
        self.sends = 0  # the worker's sends not ended: under way, or waiting for their turn
        self._ended = asyncio.Event()
        self._ended.set()
        self.gate = _Gate(self.worker.sending, self)
        self.worker.sending = self.gate  # where each send waits for its turn (delivery.concurrency)
        send = self.worker._send

        async def one_send(*args) -> None:
            """The worker's send (with the bookkeeping of its answer), counted; once finishing, one
            whose turn has not come ends without being sent, its records left in the outbox."""
            self.sends += 1
            self._ended.clear()
            try:
                await send(*args)
            except _NotSent:
                pass
            finally:
                self.sends -= 1
                if not self.sends:
                    self._ended.set()

        self.worker._send = one_send

    @property
    def abandoned(self) -> int:
        """Sends under way (sent, no answer recorded) when the worker was stopped."""
        return self.gate.cut

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.worker.run(), name=f"backfill-deliver:{self.upstream}")

    def waiting(self) -> int:
        """Records for the target still in the outbox (due, retrying, or waiting for their span)."""
        return self.proxy.store.depth().get(self.upstream, (0, None))[0]

    def count(self, outcome: str) -> int:
        """Records this process's worker settled so far: delivered, dead_letter."""
        value = self.proxy.metrics.registry.get_sample_value("feedback_proxy_deliveries_total", {"upstream": self.upstream, "outcome": outcome})
        return int(value or 0)

    @property
    def last_error(self) -> str | None:
        return self.worker.last_error

    async def drain(self, give_up: asyncio.Event, tick: Callable[[int], None]) -> bool:
        """Until nothing waits (True) or `give_up` is set (False)."""
        while True:
            left = await asyncio.to_thread(self.waiting)
            tick(left)
            if not left:
                return True
            if give_up.is_set():
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(give_up.wait(), POLL)

    async def finish(self, now: asyncio.Event) -> None:
        """Ctrl-C: start no more sends, let those under way end and record their outcome, then
        stop; what was not sent stays in the outbox. `now` (Ctrl-C again) cuts them off."""
        self.finishing = True
        if self.sends:
            waits = [asyncio.ensure_future(now.wait()), asyncio.ensure_future(self._ended.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
        self.gate.cut = self.gate.under_way
        await self.stop()

    async def stop(self) -> None:
        """Once nothing waits the worker is idle between claims: stopping it loses nothing."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None


class _NotSent(Exception):
    """A send whose turn came after Ctrl-C: not made."""


class _Gate:
    """The worker's turn to send (its `delivery.concurrency` semaphore), closed by Ctrl-C: a send
    already under way goes on; one still waiting for its turn is not made."""

    def __init__(self, turns: asyncio.Semaphore, delivery: Delivery):
        self.turns, self.delivery = turns, delivery
        self.under_way = 0
        self.cut = 0  # under way when the worker was stopped

    async def __aenter__(self) -> None:
        if self.delivery.finishing:
            raise _NotSent()
        await self.turns.acquire()
        if self.delivery.finishing:
            self.turns.release()
            raise _NotSent()
        self.under_way += 1

    async def __aexit__(self, *exc) -> None:
        self.under_way -= 1
        self.turns.release()
