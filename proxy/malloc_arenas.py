"""glibc's malloc arenas, held to a few for the whole process (`serve` calls `limit` first).

glibc gives each thread that allocates while another does an arena of its own, up to eight
per core, and keeps what each one grew to: the threads that commit and deliver (SQLite's
pages, an outbox round's rows) left four arenas of 5-15 MB each resident, and under Opik
100-score batches with a Scale mirror the peak RSS was 141-146 MB against 100 MB with one
arena, at the same throughput (bench/RESULTS.md). Fewer arenas means the threads share them
(a lock taken per allocation, and the GIL already takes turns). `MALLOC_ARENA_MAX` in the
environment does the same for any process; where the C library is not glibc, nothing changes.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit(count: int = ARENAS) -> bool:
    """At most `count` arenas from now on; before any thread allocates, for it to hold for every
    one (a forked child keeps it). False where it cannot be set (not glibc), or the environment
    already sets MALLOC_ARENA_MAX (the operator's choice stands)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt(M_ARENA_MAX, count) == 1
