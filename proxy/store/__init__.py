"""Storage: the id registry, the record of accepted assessments, and the outbox.

`Store` is what a backend implements; each user types against the small interface it needs
(interfaces.py: IdRegistry, Records, Outbox, Checkpoints). Backends: `SQLiteStore` (the
embedded default, `sqlite:///./data/proxy.db`), `PostgresStore`
(`postgresql://user:pass@host/db`: several instances sharing one database) and
`MemoryStore` (`memory://`, gone with the process; for tests and benchmarks).
"""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .interfaces import Checkpoints, Delivering, IdRegistry, Lookups, Outbox, Records, Storage, Store
from .memory import MemoryStore

__all__ = [
    "Checkpoints",
    "Delivering",
    "IdRegistry",
    "Lookups",
    "MemoryStore",
    "Outbox",
    "Records",
    "Storage",
    "Store",
    "missing",
    "open_store",
    "reading",
]


async def reading(store: Storage, fn: Callable, *args) -> Any:
    """`fn(*args)`, which reads `store`: from a thread where each read is a network round trip
    (`store.remote`: the event loop serves other requests meanwhile), at once where reads are
    local look-ups (a thread hop would cost more than the read)."""
    return await asyncio.to_thread(fn, *args) if store.remote else fn(*args)


def sqlite_path(url: str) -> str:
    path = url[len("sqlite://") :]
    return (path[1:] if path.startswith("/") else path) or ":memory:"  # sqlite:///rel/path, sqlite:////abs/path


def missing(url: str | None) -> str | None:
    """The path of the SQLite file `url` names when it does not exist yet (a command that only
    reads must not create it); None for any store that exists, or that cannot be told apart."""
    if url and url.startswith("sqlite://"):
        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).exists():
            return path
    return None


def open_store(url: str | None = None, sync: str = "normal", busy_timeout: float = 30.0) -> Store:
    if url in (None, "", "memory://"):
        return MemoryStore()
    if url.startswith("sqlite://"):
        from .sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url), sync, busy_timeout)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(
            url
        )  # store_sync does not apply: a commit is as durable as the server's synchronous_commit
    raise ValueError(
        f"unsupported store {url!r}: use sqlite:///path/to/file.db, postgresql://user:pass@host/db or memory://"
    )
