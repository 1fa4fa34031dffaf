"""`feedback-proxy serve --workers 2` on one machine, on both shared stores: the worker
processes accept on one port and share one SQLite file (WAL; claims take the write
lock) or one PostgreSQL database (claims skip locked rows). With the mirror down, one
worker is killed with SIGKILL mid-load and started again by the parent; the mirror
comes up: every acknowledged record arrives once."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import settled, wait_for
from tests.scaleout.common import body, creates, send_all, start, write_config

TOTAL = 400


def children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_worker_processes_on_one_store_deliver_every_acknowledged_record_once(tmp_path, backend, request):
    store = request.getfixturevalue("pg_database")() if backend == "postgres" else f"sqlite:///{tmp_path}/proxy.db"
    mirror_port, port = free_port(), free_port()
    config = write_config(tmp_path / "config.yaml", store, mirror_port, batch_max=20)
    parent = start(config, port, tmp_path / "proxy.log", "--workers", "2")
    acked: set[int] = set()
    killed: list[int] = []

    def kill_one(n: int) -> None:
        if not killed and n >= TOTAL // 3:
            killed.append(min(children(parent.pid)))
            os.kill(killed[0], signal.SIGKILL)

    try:
        workers = wait_for(
            lambda: len(children(parent.pid)) == 2 and children(parent.pid), timeout=20, what="2 worker processes"
        )
        asyncio.run(send_all([port], list(range(TOTAL)), acked, {}, on_progress=kill_one))
        assert killed and acked == set(range(TOTAL)), f"{TOTAL - len(acked)} never acknowledged"
        respawned = wait_for(
            lambda: len(children(parent.pid)) == 2 and children(parent.pid),
            timeout=20,
            what="the killed worker to be replaced",
        )
        assert killed[0] not in respawned and killed[0] in workers
        with FakeServer(FakeVendor("scale"), port=mirror_port) as mirror:
            wait_for(
                lambda: len(set(creates(mirror.vendor))) >= TOTAL, timeout=90, what=f"{TOTAL} records at the mirror"
            )
            settled(f"http://127.0.0.1:{port}", timeout=60)  # the shared outbox settled: nothing extra can come
            trace_ids = creates(mirror.vendor)
    finally:
        parent.terminate()
        parent.wait(20)
    assert parent.returncode == 0, (tmp_path / "proxy.log").read_text()[-3000:]
    twice = {t: n for t, n in Counter(trace_ids).items() if n > 1}
    assert not twice, f"{len(twice)} records delivered more than once"
    assert set(trace_ids) == {body(i)["scores"][0]["id"] for i in range(TOTAL)}
    print(
        f"\nserve --workers 2 on {backend}: worker {killed[0]} SIGKILLed mid-load and replaced; "
        f"{len(acked)} acknowledged, {len(trace_ids)} delivered, 0 twice"
    )
