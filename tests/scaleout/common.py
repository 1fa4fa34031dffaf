"""Helpers for the tests that run several `feedback-proxy serve` processes on one store."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.conftest import UPSTREAM_HEADERS, wait_for

ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/v1/private/traces/feedback-scores"


def upstream(vendor: str, base_url: str, timeout: float) -> dict:
    """A config's upstream of `vendor` (named after it) at `base_url`, with the test credentials."""
    return {"vendor": vendor, "base_url": base_url, "headers": UPSTREAM_HEADERS[vendor], "timeout": timeout}


def saved(path: Path, cfg: dict) -> Path:
    """`cfg` written as YAML to `path` (a config.yaml, or a directory to put one in)."""
    path = path / "config.yaml" if path.is_dir() else path
    path.write_text(yaml.safe_dump(cfg))
    return path


def write_config(path: Path, store: str, mirror_port: int, **delivery) -> Path:
    cfg = {
        "store": store,
        "upstreams": {"scale": upstream("scale", f"http://127.0.0.1:{mirror_port}", 2)},
        "routes": [{"from": "opik", "mirrors": ["scale"]}],
        "delivery": {
            "linger_ms": 2,
            "poll_interval": 0.1,
            "concurrency": 4,
            "lease_seconds": 5,
            "retry": {"initial_interval": 0.1, "multiplier": 2, "max_interval": 0.5, "max_elapsed": 3600},
            "breaker": {"failures": 5, "cooldown": 0.3},
            **delivery,
        },
        "log_level": "info",
    }
    return saved(path, cfg)


def start(config: Path, port: int, log: Path, *extra: str) -> subprocess.Popen:
    out = open(log, "ab")  # a file, not a pipe: nobody drains a pipe while the test runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "proxy", "serve", "--config", str(config), "--port", str(port), *extra],
        cwd=ROOT,
        stdout=out,
        stderr=out,
    )
    wait_for(lambda: up(port) or proc.poll() is not None, timeout=30, what=f"the proxy on port {port} to listen")
    assert proc.poll() is None, log.read_text()[-3000:]
    return proc


def stop(proc: subprocess.Popen, patience: float = 10) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it has not ended within `patience` seconds."""
    proc.terminate()
    try:
        proc.wait(patience)
    except subprocess.TimeoutExpired:
        proc.kill()


def creates(scale) -> list[str]:
    """The trace of each assessment create a fake Scale received (not the read-backs of creates a
    killed process left marked as being sent: README, Delivery)."""
    return [r.body["trace_id"] for r in scale.received if r.method == "POST"]


def up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def score_id(i: int) -> str:
    return f"01a20c41-cda1-7a06-b0a1-{i:012x}"


def body(i: int) -> dict:
    return {
        "scores": [{"id": score_id(i), "name": "accuracy", "value": 0.5, "source": "sdk", "project_name": "scaleout"}]
    }


async def send_all(
    ports: list[int], ids: list[int], acked: set[int], per_port: dict[int, int], on_progress=None, clients: int = 16
) -> None:
    """One PUT per id, `clients` at a time, id i first to ports[i % len(ports)]; a request that
    fails (an instance gone) is tried on the next instance, as a client behind a load balancer
    would. Records which ids were acknowledged (204) and by which port."""
    queue = list(ids)

    async def one(client: httpx.AsyncClient) -> None:
        while queue:
            i = queue.pop(0)
            for k in range(len(ports) * 3):
                port = ports[(i + k) % len(ports)]
                try:
                    r = await client.put(f"http://127.0.0.1:{port}{PATH}", json=body(i), timeout=5)
                except httpx.HTTPError:
                    continue
                if r.status_code == 204:
                    acked.add(i)
                    per_port[port] = per_port.get(port, 0) + 1
                    break
            if on_progress:
                on_progress(len(acked))

    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(one(client) for _ in range(clients)))


def delivered_metric(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("feedback_proxy_deliveries_total{") and 'outcome="delivered"' in line
    )
