"""SQLite's WAL checkpoints, on a thread of their own.

A checkpoint copies the WAL into the database file and fsyncs it: milliseconds that
stall whoever runs it. Run by SQLite itself (`wal_autocheckpoint`) it landed on the
event loop (store-call p99 13-21 ms); run by the committing thread it made the request
whose commit triggered it wait (Tracia -> Opik p99 13 ms at 200 req/s against 3.5 ms
with `memory://`, bench/RESULTS.md). Here the store reports each commit, and every
EVERY commits this thread runs a PASSIVE checkpoint on its own connection: it takes no
lock writers wait for, so commits go on meanwhile.

Under writes without a pause the WAL is never started over (a writer restarts it only
when it begins right after a checkpoint copied everything) and only grows: once it holds
more than LIMIT frames, the committing thread waits while this one runs a RESTART
checkpoint (the old stall, but only for a store already saturated).
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("proxy.store")

EVERY = 64  # commits between passive checkpoints
LIMIT = 4096  # frames (pages) in the WAL: 16 MiB of 4 KiB pages


class Checkpointer:
    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._due = threading.Event()
        self._closing = False
        self.commits = 0
        self.frames = 0  # the WAL's length when last checkpointed
        self._restart = False
        self._restarted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """After each commit, by the committing thread."""
        self.commits += 1
        if self.frames > LIMIT:
            self._restarted.clear()
            self._restart = True
            self._due.set()
            self._restarted.wait(30)
        elif self.commits % EVERY == 0:
            self._due.set()

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._closing:
                return
            mode, self._restart = ("RESTART" if self._restart else "PASSIVE"), False
            try:
                busy, frames, _ = self._db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
                self.frames = 0 if mode == "RESTART" and not busy else max(frames, 0)  # restarted: the next writer starts it over
            except sqlite3.Error as exc:  # the next one will try again; the WAL only grows meanwhile
                log.warning("WAL checkpoint failed: %s", exc)
            self._restarted.set()

    def close(self) -> None:
        """Stop the thread, then fold the whole WAL into the database (a clean file to copy)."""
        self._closing = True
        self._due.set()
        self._thread.join(10)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
