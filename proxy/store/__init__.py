"""Storage: the id registry, the record of accepted assessments, and the outbox.

`Store` is the one interface the core uses. Backends: `SQLiteStore` (the
embedded default, `sqlite:///./data/proxy.db`), `PostgresStore`
(`postgresql://user:pass@host/db`: several instances sharing one database) and
`MemoryStore` (`memory://`, gone with the process; for tests and benchmarks).
"""

from .base import Store
from .memory import MemoryStore

__all__ = ["Store", "MemoryStore", "open_store"]


def open_store(url: str | None = None, sync: str = "normal") -> Store:
    if url in (None, "", "memory://"):
        return MemoryStore()
    if url.startswith("sqlite://"):
        from .sqlite import SQLiteStore

        path = url[len("sqlite://"):]
        path = path[1:] if path.startswith("/") else path  # sqlite:///rel/path, sqlite:////abs/path
        return SQLiteStore(path or ":memory:", sync)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url)  # store_sync does not apply: a commit is as durable as the server's synchronous_commit
    raise ValueError(f"unsupported store {url!r}: use sqlite:///path/to/file.db, postgresql://user:pass@host/db or memory://")
