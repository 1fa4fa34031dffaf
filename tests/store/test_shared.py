"""Several Store objects on one database, as several proxy instances (or worker
processes) have them: claims from many threads at once never hand out a row twice,
and the id registry keeps one native id per foreign id whoever races."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from proxy.model import Assessment, Ref
from proxy.store.postgres import MIGRATIONS, PostgresStore
from proxy.store.sqlite import SQLiteStore
from proxy.store.writes import Writes

STORES = 3
THREADS_PER_STORE = 3


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request, tmp_path):
    """Three stores on the same database."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_database")()
        opened = [PostgresStore(url) for _ in range(STORES)]
    else:
        opened = [SQLiteStore(str(tmp_path / "shared.db")) for _ in range(STORES)]
    yield opened
    for s in opened:
        s.close()


def rec(i: int, **kw) -> Assessment:
    base = dict(
        op="upsert", entity="trace", trace_id=Ref("opik", f"trace-{i}"), name="accuracy", value=0.5, id=f"rec-{i}"
    )
    return Assessment(**{**base, **kw})


def run_threads(target, n: int) -> None:
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def wrapped(k: int) -> None:
        try:
            start.wait()
            target(k)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_concurrent_claims_from_several_stores_never_hand_out_a_row_twice(stores):
    total = 2000
    stores[0].enqueue([("scale", rec(i), f"req-{i}") for i in range(total)])
    claimed: list[list[int]] = [[] for _ in range(STORES * THREADS_PER_STORE)]

    def worker(k: int) -> None:
        store = stores[k % STORES]
        idle = 0
        while idle < 3:
            items = store.claim("scale", 37, lease=60)
            if not items:
                idle += 1
                time.sleep(0.01)
                continue
            idle = 0
            claimed[k] += [it.id for it in items]
            store.done([it.id for it in items])

    run_threads(worker, len(claimed))
    every = [i for ids in claimed for i in ids]
    twice = [i for i, n in Counter(every).items() if n > 1]
    assert not twice, f"{len(twice)} rows claimed twice"
    assert len(every) == total
    assert stores[1].depth() == {}
    assert sum(1 for ids in claimed if ids) > 1, "one thread took everything: the test did not race"


def test_concurrent_claims_keep_one_row_per_record_in_flight(stores):
    """Three changes of each record, claimed from many threads: a record's next change is
    never handed out while an earlier one is held, so they are settled in order."""
    records = 200
    for op, value in (("upsert", 0.1), ("update", 0.2), ("update", 0.3)):
        stores[0].enqueue([("scale", rec(i, op=op, value=value), "r") for i in range(records)])
    held: dict[str, float] = {}
    order: dict[str, list[float]] = {}
    lock = threading.Lock()
    overlaps: list[str] = []

    def worker(k: int) -> None:
        store = stores[k % STORES]
        idle = 0
        while idle < 3:
            items = store.claim("scale", 25, lease=60)
            if not items:
                idle += 1
                time.sleep(0.01)
                continue
            idle = 0
            with lock:
                for it in items:
                    if it.record.id in held:
                        overlaps.append(it.record.id)
                    held[it.record.id] = it.record.value
                    order.setdefault(it.record.id, []).append(it.record.value)
            time.sleep(0.001)
            with lock:
                for it in items:
                    held.pop(it.record.id, None)
                store.done([it.id for it in items])  # under the lock: the next claim of this record comes after

    run_threads(worker, STORES * THREADS_PER_STORE)
    assert not overlaps, f"records held twice at once: {overlaps[:5]}"
    assert len(order) == records and all(v == [0.1, 0.2, 0.3] for v in order.values())


def test_registry_race_keeps_one_native_id_per_foreign_id(stores):
    ids = 300
    kept: list[dict[str, str]] = [{} for _ in range(STORES * THREADS_PER_STORE)]

    def worker(k: int) -> None:
        store = stores[k % STORES]
        for i in range(ids):
            # every thread proposes its own native id for the same foreign id
            kept[k][f"sp_{i}"] = store.remember_id("tracia", f"sp_{i}", "opik", f"uuid-{i}-from-{k}")

    run_threads(worker, len(kept))
    for i in range(ids):
        answers = {m[f"sp_{i}"] for m in kept}
        assert len(answers) == 1, f"sp_{i} got {answers}"
        (native,) = answers
        assert all(s.id_for("tracia", f"sp_{i}", "opik") == native for s in stores)
        assert stores[0].origin_of("opik", native) == ("tracia", f"sp_{i}")


def test_a_lease_held_by_one_instance_is_not_taken_by_another_until_it_expires(stores):
    a, b = stores[0], stores[1]
    a.enqueue([("scale", rec(1), "r")])
    (item,) = a.claim("scale", 10, lease=0.3)
    assert b.claim("scale", 10, lease=30) == []
    time.sleep(0.4)  # instance a died holding it: b takes it over once the lease runs out
    (again,) = b.claim("scale", 10, lease=30)
    assert again.id == item.id


def test_schema_created_by_instances_starting_together(pg_database):
    url = pg_database()
    opened: list[PostgresStore] = []
    lock = threading.Lock()

    def start(k: int) -> None:
        s = PostgresStore(url)
        with lock:
            opened.append(s)

    try:
        run_threads(start, 4)
        assert {s.schema_version for s in opened} == {len(MIGRATIONS)}
        opened[0].enqueue([("scale", rec(1), "r")])
        assert opened[3].depth()["scale"][0] == 1
    finally:
        for s in opened:
            s.close()


def test_an_alias_is_seen_at_once_where_it_was_kept_and_by_the_others_after_the_next_commit(stores):
    """An id a vendor takes as it is (a Tracia span id written to Scale) is kept in its process at
    once, and written with that store's next commit, not in a transaction of its own."""
    first, other = stores[0], stores[1]
    first.alias_id("tracia", "sp_00000000000000bb", "scale", "sp_00000000000000bb")
    assert first.lookup_id("scale", "sp_00000000000000bb", "opik") == (None, ("tracia", "sp_00000000000000bb"))
    assert other.origin_of("scale", "sp_00000000000000bb") is None  # not yet stored
    first.enqueue([("scale", rec(1), "r1")])
    assert other.origin_of("scale", "sp_00000000000000bb") == ("tracia", "sp_00000000000000bb")
    assert other.id_for("tracia", "sp_00000000000000bb", "scale") == "sp_00000000000000bb"
    first.alias_id("tracia", "sp_00000000000000bb", "scale", "sp_00000000000000bb")  # known: nothing more to write
    other.remember_id("record", "rec-1", "scale", "asmt-1")
    first.alias_id("record", "rec-1", "scale", "asmt-2")  # another instance's is kept
    first.enqueue([("scale", rec(2), "r2")])
    assert other.id_for("record", "rec-1", "scale") == "asmt-1" and other.origin_of("scale", "asmt-2") is None


def test_claimed_ids_settled_by_commits_keep_one_native_id_per_foreign_id(stores):
    """A translated primary's encode claims a never-seen id with no store call (claim_id) and the
    group commit settles it before the send: whoever claims, remembers or commits first, every
    instance ends with one native id, and `claimed` tells each claimer which one to send."""
    ids = 200
    sent: list[dict[str, str]] = [{} for _ in range(STORES * THREADS_PER_STORE)]

    def worker(k: int) -> None:
        store = stores[k % STORES]
        for i in range(0, ids, 10):
            claims: list = []
            made = {
                f"sp_{j}": store.claim_id("tracia", f"sp_{j}", "opik", f"uuid-{j}-from-{k}", claims)
                for j in range(i, i + 10)
            }
            if k % 3 == 2:  # a worker's translation remembers at once, beside the claims
                store.remember_id("tracia", f"sp_{i}", "opik", f"uuid-{i}-remembered-by-{k}")
            store.commit(Writes(claims=claims))
            for value in made:
                kept = store.claimed("tracia", value, "opik")
                sent[k][value] = kept  # what the send carries: the one kept, re-encoded where it is not ours
                assert kept is not None

    run_threads(worker, len(sent))
    for i in range(ids):
        answers = {m[f"sp_{i}"] for m in sent}
        assert len(answers) == 1, f"sp_{i} got {answers}"
        (native,) = answers
        assert all(s.id_for("tracia", f"sp_{i}", "opik") == native for s in stores)


def test_a_claimed_id_with_an_origin_is_not_kept_but_translated_from_it(stores):
    first, other = stores[0], stores[1]
    first.remember_id("tracia", "sp_1", "opik", "uuid-of-sp_1")  # the proxy made this Opik id from Tracia's
    claims: list = []
    assert other.lookup_cached("opik", "uuid-of-sp_1", "tracia") is None  # this process has not seen it
    assert other.claim_id("opik", "uuid-of-sp_1", "tracia", "a-new-tracia-id", claims) == "a-new-tracia-id"
    other.commit(Writes(claims=claims))
    assert other.claimed("opik", "uuid-of-sp_1", "tracia") is None  # not kept: it has an origin
    assert other.lookup_cached("opik", "uuid-of-sp_1", "tracia") == (None, ("tracia", "sp_1"))
    assert other.id_for("opik", "uuid-of-sp_1", "tracia") is None
