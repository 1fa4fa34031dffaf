"""The memory store is called from several threads at once, as in a running proxy: each upstream's
worker claims from a thread, the group commit writes from another, /metrics and the tests read the
depth. None of them may see the rows change under a walk (the hostile-input test once failed so)."""

from __future__ import annotations

import threading

from proxy.model import Assessment, Ref
from proxy.store import MemoryStore
from proxy.store.writes import Writes


def rec(i: int) -> Assessment:
    return Assessment(op="upsert", entity="trace", trace_id=Ref("opik", f"t-{i}"), name="q", value=1.0, id=f"r-{i}")


def test_walks_and_changes_from_many_threads_never_collide():
    store = MemoryStore()
    stop, errors = threading.Event(), []

    def keep(fn):
        def run():
            try:
                while not stop.is_set():
                    fn()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                stop.set()

        return threading.Thread(target=run)

    counter = iter(range(10**9))

    def write():
        batch = [next(counter) for _ in range(50)]
        store.commit(
            Writes(outbox=[("scale", rec(i), "req") for i in batch], records=[(f"r-{i}", rec(i)) for i in batch])
        )

    def claim_and_settle():
        items = store.claim("scale", 25, lease=30)
        store.done([it.id for it in items[::2]])
        store.release([it.id for it in items[1::2]])

    threads = [keep(write), keep(claim_and_settle), keep(store.depth), keep(lambda: store.records_about("t-1"))]
    for t in threads:
        t.start()
    stop.wait(1)
    stop.set()
    for t in threads:
        t.join(10)
    assert not errors, errors
    assert sum(n for n, _ in store.depth().values()) > 0  # the writer and the claimer both ran
