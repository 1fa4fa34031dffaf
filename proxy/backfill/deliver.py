"""Delivering what the back-fill queued: the target upstream's own outbox worker (the
code `serve` runs), in this process, until nothing for the target is waiting, or until
Ctrl-C (`finish`: the worker's graceful stop, as `serve`'s at SIGTERM). A running `serve`
on the same store may deliver some of them too: claims are leased, and each upstream's
delivered prints keep a record from being sent twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

POLL = 0.1


class Delivery:
    def __init__(self, proxy, upstream: str):
        self.proxy, self.upstream = proxy, upstream
        self.worker = proxy.outbox.workers[upstream]
        self.task: asyncio.Task | None = None
        self.abandoned = 0  # sends under way (made, outcome not committed) cut off by a second Ctrl-C

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.worker.run(), name=f"backfill-deliver:{self.upstream}")

    def waiting(self) -> int:
        """Records for the target still in the outbox (due, retrying, or waiting for their span)."""
        return self.proxy.store.depth().get(self.upstream, (0, None))[0]

    def count(self, outcome: str) -> int:
        """Records this process's worker settled so far: delivered, dead_letter."""
        value = self.proxy.metrics.registry.get_sample_value(
            "feedback_proxy_deliveries_total", {"upstream": self.upstream, "outcome": outcome}
        )
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
        """Ctrl-C: the worker's graceful stop (Worker.stop): no send starts, those under way end
        and their outcome is committed, what it claimed and did not send is given back to the
        outbox. `now` (Ctrl-C again) cuts off the sends still under way."""
        self.worker.stop()
        if self.task is None:
            return
        cut = asyncio.ensure_future(now.wait())
        await asyncio.wait([self.task, cut], return_when=asyncio.FIRST_COMPLETED)
        cut.cancel()
        if not self.task.done():
            self.abandoned = self.worker.in_flight
        await self.stop()

    async def stop(self) -> None:
        """Cancel the worker: once nothing waits it is idle between claims, and stopping it loses nothing."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None
