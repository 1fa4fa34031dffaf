"""Storage: the id registry, the record of accepted assessments, and the outbox.

`Store` is the one interface the core uses. Backends: `SQLiteStore` (the
embedded default, `sqlite:///./data/proxy.db`) and `MemoryStore` (`memory://`,
gone with the process; for tests and benchmarks).
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
    raise ValueError(f"unsupported store {url!r}: use sqlite:///path/to/file.db or memory://")
