"""Storage: the id registry and the record of accepted assessments.

`Store` is the one interface the core uses; `MemoryStore` is the first
backend (a durable SQLite one and a PostgreSQL one plug in behind it).
"""

from .base import Store
from .memory import MemoryStore

__all__ = ["Store", "MemoryStore", "open_store"]


def open_store(url: str | None = None) -> Store:
    if url in (None, "", "memory://"):
        return MemoryStore()
    raise ValueError(f"unsupported store {url!r}: this build knows memory://")
