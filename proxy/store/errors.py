"""What a store raises of its own (a database's errors pass through as the driver raised them)."""


class StoreBusy(Exception):
    """A commit asked to write at once (Store.commit(at_once=True)) would have had to wait: for this
    process's other thread holding the store, or another process's write lock. Nothing was written."""
