"""proxy/overdue.py: timeouts kept in a dict and checked by one timer every TICK."""

from __future__ import annotations

import asyncio
import time

from proxy.overdue import TICK, Overdue, TaskTimeouts


async def test_a_key_past_its_time_expires_late_by_at_most_a_tick_and_never_early():
    expired: list[tuple[str, float]] = []
    overdue = Overdue(lambda key: expired.append((key, time.monotonic())))
    started = time.monotonic()
    overdue.due["slow"] = started + 0.2
    overdue.due["kept"] = started + 60
    overdue.start()
    while not expired:
        await asyncio.sleep(0.01)
    (key, at) = expired[0]
    assert key == "slow" and 0.2 <= at - started < 0.2 + TICK + 0.1
    assert overdue.due == {"kept": started + 60} and not overdue.idle


async def test_a_key_taken_out_in_time_never_expires_and_the_checks_stop_when_nothing_is_due():
    expired: list = []
    overdue = Overdue(expired.append)
    overdue.due["quick"] = time.monotonic() + 0.05
    overdue.start()
    del overdue.due["quick"]
    for _ in range(100):  # the first check, a tick from now, finds nothing due and schedules no other
        if overdue.idle:
            break
        await asyncio.sleep(0.01)
    assert overdue.idle and expired == []


async def test_one_failing_expiry_does_not_keep_the_others_from_expiring():
    expired: list = []

    def expire(key):
        if key == "bad":
            raise RuntimeError("boom")
        expired.append(key)

    overdue = Overdue(expire)
    now = time.monotonic()
    overdue.due.update({"bad": now, "good": now})
    overdue.start()
    while overdue.due:
        await asyncio.sleep(0.01)
    assert expired == ["good"]


async def test_a_task_past_its_time_is_cancelled_and_told_apart_from_one_cancelled_elsewhere():
    timeouts = TaskTimeouts()

    async def reads(seconds: float) -> str:
        task = asyncio.current_task()
        timeouts.due[task] = time.monotonic() + seconds
        if timeouts.idle:
            timeouts.start()
        try:
            await asyncio.sleep(30)
            return "read"
        except asyncio.CancelledError:
            return "timed out" if timeouts.timed_out(task) else "cancelled"
        finally:
            timeouts.due.pop(task, None)

    late = asyncio.create_task(reads(0.1))
    other = asyncio.create_task(reads(60))
    assert await late == "timed out"
    assert late.cancelling() == 0  # the timeout's own cancellation was taken back
    other.cancel()
    assert await other == "cancelled"
    assert timeouts.due == {}


def test_a_loop_closed_with_a_check_pending_does_not_leave_the_next_loop_unchecked():
    """As under a test client that runs each request on an event loop of its own."""
    expired: list = []
    overdue = Overdue(expired.append)

    async def add(key: str, seconds: float) -> None:
        overdue.due[key] = time.monotonic() + seconds
        if overdue.idle or overdue.loop is not asyncio.get_running_loop():
            overdue.start()

    async def first() -> None:
        await add("kept", 60)  # a check is pending when this loop closes

    async def second() -> None:
        await add("late", 0.05)
        for _ in range(100):
            if "late" in expired:
                return
            await asyncio.sleep(0.01)

    asyncio.run(first())
    asyncio.run(second())
    assert expired == ["late"] and overdue.due == {"kept": overdue.due["kept"]}
