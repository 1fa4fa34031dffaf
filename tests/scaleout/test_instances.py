"""Three proxy instances on one PostgreSQL, load through all of them, the mirror down;
one instance killed with SIGKILL mid-flight; the mirror comes up: every acknowledged
record arrives once, delivered by the instances that are left (the dead one's leased
rows are taken over when its lease runs out)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import settled, wait_for
from tests.scaleout.common import body, creates, delivered_metric, send_all, start, write_config

TOTAL = 600
INSTANCES = 3


def test_instances_sharing_postgresql_deliver_every_acknowledged_record_once_despite_a_sigkill(tmp_path, pg_database):
    store = pg_database()
    mirror_port = free_port()
    # small claims, so the instances that are left share the backlog rather than one taking it all
    config = write_config(tmp_path / "config.yaml", store, mirror_port, batch_max=20)
    ports = [free_port() for _ in range(INSTANCES)]
    procs = [start(config, p, tmp_path / f"proxy-{k}.log") for k, p in enumerate(ports)]
    acked: set[int] = set()
    per_port: dict[int, int] = {}
    killed_at = None

    def kill_one(n: int) -> None:
        nonlocal killed_at
        if killed_at is None and n >= TOTAL // 3:
            killed_at = n
            os.kill(procs[0].pid, signal.SIGKILL)

    try:
        asyncio.run(send_all(ports, list(range(TOTAL)), acked, per_port, on_progress=kill_one))
        procs[0].wait(10)
        assert procs[0].returncode == -signal.SIGKILL
        assert killed_at is not None and acked == set(range(TOTAL)), f"{TOTAL - len(acked)} never acknowledged"
        assert all(per_port.get(p) for p in ports), f"not every instance took requests: {per_port}"
        with FakeServer(FakeVendor("scale"), port=mirror_port) as mirror:
            wait_for(
                lambda: len(set(creates(mirror.vendor))) >= TOTAL, timeout=90, what=f"{TOTAL} records at the mirror"
            )
            settled(f"http://127.0.0.1:{ports[1]}", timeout=60)  # the shared outbox settled: nothing extra can come
            trace_ids = creates(mirror.vendor)
        by_instance = {p: delivered_metric(p) for p in ports[1:]}
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            p.wait(10)
    twice = {t: n for t, n in Counter(trace_ids).items() if n > 1}
    assert not twice, f"{len(twice)} records delivered more than once"
    assert set(trace_ids) == {body(i)["scores"][0]["id"] for i in range(TOTAL)}
    assert sum(1 for n in by_instance.values() if n) == INSTANCES - 1, (
        f"the surviving instances did not share the backlog: {by_instance}"
    )
    print(
        f"\n{INSTANCES} instances on PostgreSQL; SIGKILL of one after {killed_at} acknowledged; acknowledged per "
        f"instance "
        f"{[per_port.get(p, 0) for p in ports]}; {len(acked)} acknowledged in all; {len(trace_ids)} delivered "
        f"(by the survivors: {[int(n) for n in by_instance.values()]}), 0 twice"
    )
