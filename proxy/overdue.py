"""Timeouts on the request path without a timer per request: one timer checks them all.

    overdue = Overdue(expire)                    # expire(key): called for a key past its time
    overdue.due[key] = time.monotonic() + seconds
    if overdue.idle or overdue.loop is not loop:  # the running loop (a closed one's checks are gone)
        overdue.start()
    ...                                          # the awaited work
    overdue.due.pop(key, None)                   # in time: forgotten

The hot path writes the dict itself: no call of ours, where `asyncio.timeout()` made and
cancelled an event-loop timer (a libuv one under uvloop) through five Python calls, ~20,000
instructions a request each (bench/RESULTS.md). Every TICK seconds while anything is due,
the keys past their time are taken out and handed to `expire`: a timeout fires at most TICK
late, never early. For what guards against a peer that stalls: seldom fired, always set.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Hashable

log = logging.getLogger("proxy")

TICK = 0.05  # seconds: how late a timeout may fire


class Overdue:
    def __init__(self, expire: Callable[[Hashable], None], tick: float = TICK) -> None:
        self.due: dict[Hashable, float] = {}  # key -> its time (time.monotonic())
        self.idle = True  # no check is scheduled: whoever adds the first key calls start()
        self.loop: asyncio.AbstractEventLoop | None = None  # where the checks run
        self._expire, self._tick = expire, tick

    def start(self) -> None:
        """Checks from now on, on the running loop: with nothing scheduled, or where the loop is not
        the one the checks were on (one closed with a check pending never runs it)."""
        self.idle, self.loop = False, asyncio.get_running_loop()
        self.loop.call_later(self._tick, self._check, self.loop)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self.loop:  # the checks moved to another loop (start): this chain ends
            return
        now = time.monotonic()
        late = [key for key, at in self.due.items() if at <= now]
        for key in late:
            del self.due[key]
            try:
                self._expire(key)
            except Exception:  # one failing does not keep the others from expiring
                log.exception("expiring %r failed", key)
        if self.due:
            loop.call_later(self._tick, self._check, loop)
        else:
            self.idle = True


class TaskTimeouts(Overdue):
    """Tasks given a time (`due[task]`): one past it is cancelled, and `timed_out(task)`, asked
    where it catches the CancelledError, tells that cancellation from any other (and takes it back,
    as asyncio.timeout does, so the task's own cancellation count stays right)."""

    def __init__(self, tick: float = TICK) -> None:
        super().__init__(self._cancel, tick)
        self._cancelled: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()

    def _cancel(self, task: asyncio.Task) -> None:
        if task.cancel():
            self._cancelled.add(task)

    def timed_out(self, task: asyncio.Task) -> bool:
        if task not in self._cancelled:
            return False
        self._cancelled.discard(task)
        return task.uncancel() == 0  # else it was cancelled from elsewhere too: that one goes on
