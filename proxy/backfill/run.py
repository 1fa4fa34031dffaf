"""A back-fill run from start to summary: resume from the checkpoint, read and queue every
page while the target's worker delivers, then wait until the outbox is empty for it.

Ctrl-C (or SIGTERM) once, said at once on the terminal: stop within a few seconds. A page
being read is dropped (its checkpoint is not passed: it is read again), the sends under way
end and their outcome is recorded, no other starts; what is queued stays in the outbox; the
summary says what was done, and the command resumes. Twice: stop now, cutting off the sends
under way (their records stay queued: the resume sends them again).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass

from ..upstream import Response
from .calls import ReadError
from .deliver import Delivery
from .job import Backfill, Job, Stops


@dataclass
class Outcome:
    status: str  # complete (, with dead letters), interrupted, stopped, already complete, dry run, queued
    backfill: Backfill
    seconds: float
    waiting: int = 0  # records for the target still in the outbox
    resumed: str | None = None  # where a resumed job started
    error: str | None = None
    last_error: str | None = None  # the target's last delivery error, if records wait
    elsewhere: int = 0  # records this job queued that another process on the store settled (a serve)
    abandoned: int = 0  # sends cut off by a second Ctrl-C (their records stay queued)

    @property
    def ok(self) -> bool:
        return self.status in ("complete", "already complete", "dry run", "queued")


async def run(job: Job, config, mappings: dict, store, transport, view) -> Outcome:
    started = time.monotonic()
    bf = Backfill(job, config, mappings, store, transport)
    cp = bf.checkpoint
    if cp.finished and not job.restart and not job.dry_run:
        return Outcome("already complete", bf, 0.0)
    resumed = cp.where([lst.name for lst in bf.history.lists]) if cp.runs and not job.dry_run else None
    bf.begin()
    delivery = None if job.dry_run or job.queue_only else Delivery(bf.proxy, job.target)
    dead_before = bf.tally.dead
    if delivery is not None:
        before = (bf.tally.written, bf.tally.dead)
        bf.settled = lambda: (before[0] + delivery.count("delivered"), before[1] + delivery.count("dead_letter"))
        delivery.start()
    bf.save()
    stops, counting = Stops(), None
    view.start(bf, resumed)
    try:
        if delivery is not None:
            counting = asyncio.get_running_loop().create_task(_keep_counting(bf))
        with _interrupts(stops, view):
            status, error = await _read(bf, _Interruptible(transport, stops.reading), stops, view)
            waiting = await _deliver(bf, delivery, stops, view) if delivery is not None else 0
    finally:
        if counting is not None:
            counting.cancel()
        if delivery is not None:
            await delivery.stop()
        view.stop()
    if delivery is not None and waiting == 0 and cp.read_done:
        cp.finished = True
    bf.save()
    if job.dry_run:
        status = "dry run" if status == "complete" else status
    elif delivery is None:
        status, waiting = ("queued" if status == "complete" else status), store.depth().get(job.target, (0, None))[0]
    elif status == "complete" and waiting:
        status = "interrupted"  # asked to stop waiting for delivery
    elif status == "complete" and bf.tally.dead > dead_before:
        status = "complete, with dead letters"
    t = bf.tally
    skipped = delivery.count("skipped") if delivery is not None else 0
    elsewhere = 0 if job.dry_run else max(0, t.queued - t.written - t.dead - skipped - waiting)
    last_error = delivery.last_error if delivery and waiting else None
    return Outcome(
        status,
        bf,
        time.monotonic() - started,
        waiting,
        resumed,
        error,
        last_error,
        elsewhere,
        delivery.abandoned if delivery is not None else 0,
    )


async def _read(bf: Backfill, transport, stops: Stops, view) -> tuple[str, str | None]:
    """-> (complete | interrupted | stopped, why it stopped)."""
    if bf.checkpoint.read_done:
        return "complete", None
    try:
        await bf.read(transport, stops, lambda page: view.page(bf.tally, bf.settled()[0]))
    except _Stopped:  # Ctrl-C while a page was being read: it is read again by the resume
        return "interrupted", None
    except ReadError as exc:
        return "stopped", exc.message
    done = bf.checkpoint.read_done or (bf.job.dry_run and not stops.reading.is_set())  # a dry run keeps no checkpoint
    return ("complete" if done else "interrupted"), None


async def _deliver(bf: Backfill, delivery: Delivery, stops: Stops, view) -> int:
    """Until nothing for the target waits, or Ctrl-C: then the sends under way end (or, at a
    second Ctrl-C, are cut off) and no other starts; -> how many still wait."""

    def tick(left: int) -> None:
        view.delivering(bf.tally, bf.settled()[0], left, delivery.last_error)

    drained = await delivery.drain(stops.reading, tick)
    if drained:
        await delivery.stop()
    else:
        await delivery.finish(stops.waiting)
    return await asyncio.to_thread(delivery.waiting)


async def _keep_counting(bf: Backfill, every: float = 0.5) -> None:
    while True:
        await asyncio.sleep(every)
        bf.save_settled()


class _Stopped(Exception):
    """A source read given up for Ctrl-C."""


class _Interruptible:
    """The source's transport for the reads: a read under way when Ctrl-C comes is given up
    at once (nothing of its page was committed), and none starts after it."""

    def __init__(self, transport, stop: asyncio.Event):
        self.transport, self.stop = transport, stop

    async def send(self, method: str, url: str, headers: dict, body: bytes | None, timeout: float) -> Response:
        if self.stop.is_set():
            raise _Stopped()
        sending = asyncio.ensure_future(self.transport.send(method, url, headers, body, timeout))
        stopping = asyncio.ensure_future(self.stop.wait())
        await asyncio.wait([sending, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not sending.done():
            sending.cancel()
            raise _Stopped()
        return sending.result()

    async def close(self) -> None:
        await self.transport.close()


@contextlib.contextmanager
def _interrupts(stops: Stops, view):
    """SIGINT / SIGTERM: the first stops reading and delivering (what is under way ends), said
    at once; the next stops now."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if not stops.reading.is_set():
            stops.reading.set()
            view.stopping(now=False)
        elif not stops.waiting.is_set():
            stops.waiting.set()
            view.stopping(now=True)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
