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
more than LIMIT frames (as the last passive checkpoint counted, or, when that thread lags on
a busy machine, as the WAL file's growth past its size at the last restart says), the
committing thread runs a RESTART checkpoint itself after its commit: the periodic passive
ones copied nearly all of the WAL already, so what it waits for is the last frames and one
fsync (~4-5 ms here). The WAL file is not cut back when it starts over (sqlite.py's
journal_size_limit is above what LIMIT lets it reach): the write that cut it paid 4-14 ms,
and that write was often the event loop's.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger("proxy.store")

EVERY = 64  # commits between passive checkpoints
LIMIT = 8192  # frames (pages) in the WAL: 32 MiB of 4 KiB pages (sqlite.py cuts a WAL back only past 64 MiB)
FRAME_BYTES = 4096 + 24  # a 4 KiB page and its frame header


class Checkpointer:
    def __init__(self, path: str, writers: threading.RLock):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._wal = path + "-wal"
        self._wal_size_at_restart = 0  # a restarted WAL is written again from its start and keeps its size
        self._due = threading.Event()
        self._busy = threading.Lock()  # one checkpoint at a time on the connection
        self._writers = writers  # the store's writers' lock: held, no write of the store's runs, reads go on
        self._closing = False
        self._restart = False  # a restart asked of the thread by a commit made on the event loop
        self.commits = 0
        self.frames = 0  # the WAL's length when last checkpointed
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self, here: bool = True) -> None:
        """After each commit, by the committing thread. `here=False`: that thread is the event loop
        (Outbox.commit at_once), which a checkpoint must not stall: a restart is the thread's."""
        self.commits += 1
        frames = max(self.frames, self._wal_frames_grown())
        if frames > LIMIT and not here:
            self._restart = True
            self._due.set()
        # while the thread's passive checkpoint runs, the next commit tries again; far past LIMIT, it waits for it
        elif frames > LIMIT and self._busy.acquire(blocking=frames > LIMIT + LIMIT // 16):  # else: at the next commit
            try:  # here, not by the thread: a hand-off to it and back cost more than the checkpoint
                self._restart_now()
            finally:
                self._busy.release()
        elif self.commits % EVERY == 0:
            self._due.set()

    def _restart_now(self) -> None:
        with self._writers:  # a write meanwhile would find the database busy and try again every few ms
            self._checkpoint("RESTART")

    def _wal_frames_grown(self) -> int:
        """Every 16 commits: the frames the WAL file holds when it has grown past its size at the
        last restart (then the writers wrapped it whole), else 0 (not known from its size)."""
        if self.commits % 16:
            return 0
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return 0
        return size // FRAME_BYTES if size > self._wal_size_at_restart else 0

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._closing:
                return
            with self._busy:
                if self._restart:
                    self._restart = False
                    self._restart_now()
                else:
                    self._checkpoint("PASSIVE")

    def _checkpoint(self, mode: str) -> None:
        try:
            busy, frames, _ = self._db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            self.frames = (
                0 if mode == "RESTART" and not busy else max(frames, 0)
            )  # restarted: the next writer starts it over
            if mode == "RESTART" and not busy:
                self._wal_size_at_restart = os.stat(self._wal).st_size
        except (sqlite3.Error, OSError) as exc:  # the next one will try again; the WAL only grows meanwhile
            log.warning("WAL checkpoint failed: %s", exc)

    def close(self) -> None:
        """Stop the thread, then fold the whole WAL into the database (a clean file to copy)."""
        self._closing = True
        self._due.set()
        self._thread.join(10)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
