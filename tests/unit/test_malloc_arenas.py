"""proxy/malloc_arenas.py: `serve` holds glibc's malloc arenas to a few (the RSS figure: bench/RESULTS.md).

Each case runs in a process of its own: eight threads allocate at once, then glibc's malloc_stats()
lists the arenas they used ("Arena N:" on stderr)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THREADS = """
import ctypes, sys, threading
from proxy import malloc_arenas
print(malloc_arenas.limit() if sys.argv[1] == "limit" else "unset", flush=True)
start = threading.Barrier(8)
def churn():
    start.wait()
    for _ in range(300):
        blocks = [bytearray(4096) for _ in range(64)]  # past Python's small-object allocator: malloc's
        del blocks
threads = [threading.Thread(target=churn) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str, env: dict | None = None) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | (env or {}) | {"PYTHONPATH": ROOT}
    done = subprocess.run([sys.executable, "-c", THREADS, mode], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip(), len(re.findall(r"^Arena \d+:", done.stderr, re.M))


def test_with_the_limit_eight_threads_share_two_arenas_where_they_would_take_more():
    assert platform.libc_ver()[0] == "glibc"  # the machines this runs on (Debian)
    assert arenas("limit") == ("True", 2)
    said, unlimited = arenas("none")
    assert said == "unset" and unlimited > 2


def test_an_arena_limit_in_the_environment_stands():
    assert arenas("limit", {"MALLOC_ARENA_MAX": "3"}) == ("False", 3)
