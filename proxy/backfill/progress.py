"""The back-fill's progress bar (rich), on stderr: items read of those the source says it
has (with rate and ETA where it says: Opik gives totals, Scale and Tracia do not), and
records written of those queued, with what was found present and what was not carried."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .report import Tally


class RateColumn(ProgressColumn):
    """Items per second (rich's own speed column counts bytes)."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


class ProgressView:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.bar = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"),
            console=self.console,
            transient=False,
        )
        self.read = self.written = None

    def start(self, backfill, resumed: str | None) -> None:
        job = backfill.job
        what = f"{job.source} -> {job.target}" + (" (dry run)" if job.dry_run else "")
        self.console.print(f"back-fill {what}" + (f": resuming at {resumed}" if resumed else ""))
        t = backfill.tally
        self.bar.start()
        self.read = self.bar.add_task("read", total=t.total, completed=sum(t.items.values()), note="")
        self.written = self.bar.add_task("written", total=t.queued or None, completed=t.written, note="")

    def page(self, tally: Tally, written: int) -> None:
        self.bar.update(self.read, total=tally.total, completed=sum(tally.items.values()), note=_read_note(tally))
        self._written(tally, written, None)

    def delivering(self, tally: Tally, written: int, waiting: int, error: str | None) -> None:
        self._written(
            tally, written, f"{waiting:,} waiting" + (f"; last error: {error[:80]}" if error and waiting else "")
        )

    def _written(self, tally: Tally, written: int, note: str | None) -> None:
        extra = f"{tally.present:,} present, {sum(tally.not_carried.values()):,} not carried"
        self.bar.update(
            self.written,
            total=max(tally.queued, written) or None,
            completed=written,
            note=extra + (f"; {note}" if note else ""),
        )

    def stopping(self, now: bool) -> None:
        self.console.print(stopping_line(now))

    def stop(self) -> None:
        self.bar.stop()


class QuietView:
    """No progress bar (--quiet): only the summary (and Ctrl-C said on stderr)."""

    def start(self, backfill, resumed: str | None) -> None: ...
    def page(self, tally: Tally, written: int) -> None: ...
    def delivering(self, tally: Tally, written: int, waiting: int, error: str | None) -> None: ...
    def stop(self) -> None: ...

    def stopping(self, now: bool) -> None:
        print(stopping_line(now), file=sys.stderr, flush=True)


def stopping_line(now: bool) -> str:
    """What Ctrl-C is answered with, at once."""
    if now:
        return "stopping now: the sends under way are cut off (their records stay queued)"
    return "stopping: finishing what is in flight; Ctrl-C again to stop now"


def _read_note(tally: Tally) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in tally.items.items()) + f" ({tally.pages:,} pages)"
