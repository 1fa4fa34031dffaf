"""Where a back-fill job stands, kept in the configured store (memory, SQLite, PostgreSQL)
so an interrupted job resumes where it stopped.

A job is (source upstream, target upstream, project, since, until). Its checkpoint names
the list and the paging state of the next page to read; it is saved only after a page's
records are committed to the outbox, so a page is never skipped (one read twice is
harmless: its records are the same records, already queued or delivered). It also keeps
the job's tallies, so the summary of a resumed job covers all its runs, and the `until`
the first run fixed when none was given (so every run pages through the same history).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..store import Checkpoints


def job_key(source: str, target: str, project: str | None, since: str | None, until: str | None) -> str:
    return f"backfill {source}>{target} project={project or '-'} since={since or '-'} until={until or '-'}"


@dataclass
class Checkpoint:
    key: str
    listing: int = 0  # the list of the history file being read
    state: dict | None = None  # the paging state of its next page (None: its first)
    last: str | None = None  # the id of the last item committed, for the record
    until: str | None = None  # the effective end of the time window
    read_done: bool = False  # every page read and committed
    finished: bool = False  # and the outbox drained
    runs: int = 0
    tally: dict = field(default_factory=dict)  # report.Tally, as saved

    @classmethod
    def load(cls, store: Checkpoints, key: str) -> Checkpoint:
        saved = store.checkpoint(key)
        if saved is None:
            return cls(key)
        data = json.loads(saved)
        return cls(key, **{k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "key"})

    def save(self, store: Checkpoints) -> None:
        data = asdict(self)
        del data["key"]
        store.save_checkpoint(self.key, json.dumps(data))  # key order kept: the summary lists counts as first met

    def advance(self, listing: int, state: dict | None, last: str | None, lists: int) -> None:
        """After a page is committed: the next page of this list, or the first of the next list."""
        if state is None:
            self.listing, self.state = listing + 1, None
            self.read_done = self.listing >= lists
        else:
            self.listing, self.state = listing, state
        self.last = last or self.last

    def where(self, list_names: list[str]) -> str:
        """Where a resumed job starts, in words."""
        if self.read_done:
            return "every page was read; delivering what is left"
        name = list_names[self.listing] if self.listing < len(list_names) else "?"
        at = (
            (
                f"page {self.state['page']}"
                if "page" in self.state
                else f"the page after cursor {self.state.get('cursor')}"
            )
            if self.state
            else "its first page"
        )
        return f"{name}, {at}" + (f" (the last item committed: {self.last})" if self.last else "")
