"""The proxy killed with SIGKILL under load, with its mirror down: after a restart on
the same store and the mirror's return, every acknowledged record arrives, none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import httpx

from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import settled, wait_for
from tests.scaleout.common import saved, start, stop, upstream

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 1000


def write_config(tmp_path: Path, mirror_port: int) -> Path:
    cfg = {
        "store": f"sqlite:///{tmp_path}/proxy.db",
        "upstreams": {"scale": upstream("scale", f"http://127.0.0.1:{mirror_port}", 2)},
        "routes": [{"from": "opik", "mirrors": ["scale"]}],
        "delivery": {
            "linger_ms": 2,
            "poll_interval": 0.1,
            "concurrency": 8,
            "retry": {"initial_interval": 0.1, "multiplier": 2, "max_interval": 0.5, "max_elapsed": 3600},
            "breaker": {"failures": 5, "cooldown": 0.3},
        },
        "log_level": "warning",
    }
    return saved(tmp_path, cfg)


def start_proxy(config: Path, port: int) -> subprocess.Popen:
    return start(config, port, config.parent / "proxy.log")


def body(i: int) -> dict:
    return {
        "scores": [
            {
                "id": f"01a20c41-cda1-7a06-b0a1-{i:012x}",
                "name": "accuracy",
                "value": 0.5,
                "source": "sdk",
                "project_name": "crash",
            }
        ]
    }


async def send_all(port: int, ids: list[int], acked: set[int], stop_after: int | None = None, on_stop=None) -> None:
    """Send one request per id, 16 at a time; record which were acknowledged (204)."""
    queue = list(ids)
    stopped = False

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal stopped
        while queue and not stopped:
            i = queue.pop(0)
            try:
                r = await client.put(
                    f"http://127.0.0.1:{port}/api/v1/private/traces/feedback-scores", json=body(i), timeout=5
                )
            except httpx.HTTPError:
                continue
            if r.status_code == 204:
                acked.add(i)
            if stop_after is not None and len(acked) >= stop_after and not stopped:
                stopped = True
                on_stop()

    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(one(client) for _ in range(16)))


def test_sigkill_under_load_then_restart_delivers_every_acknowledged_record_once(tmp_path):
    mirror_port, port = free_port(), free_port()
    config = write_config(tmp_path, mirror_port)
    acked: set[int] = set()

    proc = start_proxy(config, port)
    try:
        asyncio.run(
            send_all(
                port,
                list(range(TOTAL)),
                acked,
                stop_after=TOTAL // 2,
                on_stop=lambda: os.kill(proc.pid, signal.SIGKILL),
            )
        )
    finally:
        if proc.poll() is None and len(acked) < TOTAL // 2:  # the test failed before the kill: leave nothing running
            proc.kill()
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    killed_at = len(acked)
    assert TOTAL // 2 <= killed_at < TOTAL

    proc = start_proxy(config, port)
    try:
        # The client retries whatever was not acknowledged; a request that was committed
        # but whose answer was lost must not become a second record.
        asyncio.run(send_all(port, [i for i in range(TOTAL) if i not in acked], acked))
        assert acked == set(range(TOTAL))
        with FakeServer(FakeVendor("scale"), port=mirror_port) as mirror:
            # creates, not the read-backs of those the kill left marked as being sent (README, Delivery)
            creates = lambda: [r.body["trace_id"] for r in mirror.vendor.received if r.method == "POST"]  # noqa: E731
            wait_for(lambda: len(creates()) >= TOTAL, timeout=60, what=f"{TOTAL} records at the mirror")
            settled(f"http://127.0.0.1:{port}", timeout=60)  # every record settled: nothing extra can come
            trace_ids = creates()
    finally:
        stop(proc)
    assert len(trace_ids) == TOTAL, f"{len(trace_ids) - len(set(trace_ids))} duplicates"
    assert set(trace_ids) == {body(i)["scores"][0]["id"] for i in range(TOTAL)}
    print(f"\nSIGKILL after {killed_at} acknowledged; {TOTAL} acknowledged in all; {len(trace_ids)} delivered, 0 twice")
