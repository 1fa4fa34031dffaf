"""Storage: the id registry, the record of accepted assessments, and the outbox.

`Store` is the one interface the core uses. Backends: `SQLiteStore` (the
embedded default, `sqlite:///./data/proxy.db`), `PostgresStore`
(`postgresql://user:pass@host/db`: several instances sharing one database) and
`MemoryStore` (`memory://`, gone with the process; for tests and benchmarks).
"""

import asyncio
from typing import Any, Callable

from .base import Store
from .memory import MemoryStore

__all__ = ["Store", "MemoryStore", "open_store", "reading"]


async def reading(store: Store, fn: Callable, *args) -> Any:
    """`fn(*args)`, which reads `store`: from a thread where each read is a network round trip
    (`store.remote`: the event loop serves other requests meanwhile), at once where reads are
    local look-ups (a thread hop would cost more than the read)."""
    return await asyncio.to_thread(fn, *args) if store.remote else fn(*args)


def open_store(url: str | None = None, sync: str = "normal", busy_timeout: float = 30.0) -> Store:
    if url in (None, "", "memory://"):
        return MemoryStore()
    if url.startswith("sqlite://"):
        from .sqlite import SQLiteStore

        path = url[len("sqlite://"):]
        path = path[1:] if path.startswith("/") else path  # sqlite:///rel/path, sqlite:////abs/path
        return SQLiteStore(path or ":memory:", sync, busy_timeout)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url)  # store_sync does not apply: a commit is as durable as the server's synchronous_commit
    raise ValueError(f"unsupported store {url!r}: use sqlite:///path/to/file.db, postgresql://user:pass@host/db or memory://")
