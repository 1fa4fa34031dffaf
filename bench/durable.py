"""Acknowledged assessments per second on the durable path, on one core.

    python bench/durable.py [--seconds 4] [--clients 64] [--json]

What a request waits for before its answer when a route has mirrors:
`Outbox.accept` commits its records for each mirror (group commit: the requests that
queue while one transaction runs share the next). Here `--clients` concurrent
callers accept real records (decoded from Opik trace scores, mirrored to Scale) as
fast as they can, with no network, in one process pinned to one CPU (the SQLite
writes run in asyncio's thread, on the same CPU). One row per store:
`memory://`, SQLite with `store_sync: normal` and with `full` (fsync per commit),
each with 1 record per request (one evaluation) and 100 per request (an Opik batch).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxy import config as config_mod  # noqa: E402
from proxy.mapping import WireRequest, load_all  # noqa: E402
from proxy.pipeline import Proxy  # noqa: E402
from proxy.store import open_store  # noqa: E402
from proxy.upstream import MockTransport, Response  # noqa: E402


def records(mappings, n: int, tag: str) -> list:
    endpoint, params, _ = mappings["opik"].match("PUT", "/v1/private/traces/feedback-scores")
    body = {
        "scores": [
            {
                "id": f"01a20c41-cda1-7a06-b0a1-{i:012x}",
                "name": "accuracy",
                "value": 0.75,
                "source": "sdk",
                "reason": "bench",
                "project_name": "bench",
            }
            for i in range(n)
        ]
    }
    return endpoint.decode(WireRequest("PUT", params, {}, {}, body), {"request_id": tag})


async def drive(store_url: str, sync: str, per_request: int, clients: int, seconds: float) -> dict:
    cfg = config_mod.Config.model_validate(
        {
            "upstreams": {
                "opik": {"vendor": "opik", "base_url": "http://127.0.0.1:9/api"},
                "scale": {"vendor": "scale", "base_url": "http://127.0.0.1:9"},
            },
            "routes": [{"from": "opik", "primary": "opik", "mirrors": ["scale"]}],
            "store": store_url,
            "store_sync": sync,
        }
    )
    mappings = load_all()
    store = open_store(cfg.store, cfg.store_sync)
    proxy = Proxy(cfg, mappings, store, MockTransport(lambda *a: Response(204)))  # workers not started: acceptance only
    route = proxy.router.route_for("opik")
    batches = [records(mappings, per_request, f"c{c}") for c in range(clients)]
    done = 0
    stop = time.perf_counter() + seconds

    async def client(c: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop:
            await proxy.outbox.accept(route.mirrors, batches[c], f"bench-{c}-{i}", route.index)
            done += per_request
            i += 1

    await proxy.outbox.accept(route.mirrors, batches[0], "warm", route.index)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if hasattr(store, "close"):
        store.close()
    return {"records_per_s": done / elapsed, "cpu_us_per_record": cpu / done * 1e6 if done else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--cpu", type=int, default=None, help="the CPU to pin to (default: the last one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for per in (1, 100):
            for label, url, sync in (
                ("memory://", "memory://", "normal"),
                ("SQLite, store_sync: normal", f"sqlite:///{tmp}/n{per}.db", "normal"),
                ("SQLite, store_sync: full", f"sqlite:///{tmp}/f{per}.db", "full"),
            ):
                r = asyncio.run(drive(url, sync, per, args.clients, args.seconds))
                rows.append({"store": label, "per_request": per, "clients": args.clients, "cpu": cpu, **r})
                if not args.json:
                    print(
                        f"{label:28} {per:3} per request: {r['records_per_s']:8.0f} records/s acknowledged, "
                        f"{r['cpu_us_per_record']:.0f} us CPU each",
                        flush=True,
                    )
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
