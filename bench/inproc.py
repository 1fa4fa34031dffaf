"""CPU time per request through the whole app, in one process, with no network: for A/B-ing a change.

    python bench/inproc.py [SCENARIO ...] [--store sqlite|memory] [--requests 4000] [--clients 32] [--reps 3] [--rate R]

The ASGI app (proxy.app.create_app) is driven directly by `--clients` concurrent tasks,
each request built from a scenario of bench/scenarios.py with fresh ids; the upstream is
`MockTransport` answering at once; mirrors' workers run. The figure is this process's CPU
time (user + system, the SQLite thread included) divided by the requests answered, which
is steadier on a busy machine than any wall-clock rate: what a change saves here is what
it saves per request in the live benchmark, less the network's share. With `--rate R`,
requests go out open loop at R per second instead, and it prints each run's p50 and p99
latency (from each request's due time): the in-process side of the p99 target.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import TOKEN  # noqa: E402
from scenarios import BY_KEY, proxy_config  # noqa: E402

from proxy import config as config_mod  # noqa: E402
from proxy.app import create_app  # noqa: E402
from proxy.upstream import MockTransport, Response, open_transport  # noqa: E402

ANSWERS = {
    "opik": Response(204),
    "scale": Response(200, {"content-type": "application/json"}, b'{"id":"sa_1"}'),
    "tracia": Response(200, {"content-type": "application/json"}, b'{"id":"eval_1"}'),
}


def answer(method, url, headers, body) -> Response:
    return ANSWERS["opik" if "/api/" in url else "scale" if "/v5/" in url else "tracia"]


async def run(scenario, store: str, requests: int, clients: int, rate: float = 0, upstream=None):
    """`upstream`: (its URL, a transport kind) to send over the network instead (bench/client_choice.py)."""
    url, transport = ("http://127.0.0.1:9", MockTransport(answer))
    if upstream is not None:
        url, transport = upstream[0], open_transport(upstream[1])
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_mod.load(proxy_config(Path(tmp), url, scenario.routes, store=store))
        app = create_app(cfg, transport=transport)
        counter = itertools.count()
        headers = [(k.lower().encode(), v.encode()) for k, v in scenario.headers.items()] + [
            (b"content-type", b"application/json")
        ]

        async def one() -> None:
            n = next(counter)
            for method, path, body in scenario.steps:  # a span before its evaluation: the same ids (fresh)
                await step(method, fresh(path, n).decode(), fresh(body, n))

        async def step(method: str, path: str, body: bytes) -> None:
            scope = {
                "type": "http",
                "method": method,
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers + [(b"content-length", str(len(body)).encode()), (b"host", b"127.0.0.1")],
                "scheme": "http",
                "server": ("127.0.0.1", 80),
                "client": ("127.0.0.1", 1),
                "root_path": "",
            }
            sent = []

            async def receive():
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message):
                sent.append(message)

            await app(scope, receive, send)
            if sent[0]["status"] >= 300:
                raise RuntimeError(f"{scenario.key}: {sent[0]['status']} {sent[1].get('body', b'')[:300]!r}")

        async def client(share: int) -> None:
            for _ in range(share):
                await one()

        async def timed(due: float, out: list) -> None:
            await one()
            out.append(time.perf_counter() - due)

        async with lifespan(app):
            await asyncio.gather(*(client(20) for _ in range(clients)))  # warm-up
            if rate:  # open loop: a request every 1/rate s, its latency from when it was due
                latencies, tasks, start = [], [], time.perf_counter()
                for i in range(requests):
                    due = start + i / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    tasks.append(asyncio.create_task(timed(due, latencies)))
                await asyncio.gather(*tasks)
                return latencies
            workers = max(1, min(clients, requests))  # fewer requests than clients: one each, never none
            start, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(client(requests // workers) for _ in range(workers)))
            # the requests sent: a scenario's span sent before each evaluation is one too
            done = requests // workers * workers * len(scenario.steps)
            return (time.process_time() - start) / done * 1e6, done / (time.perf_counter() - wall)


def fresh(text: str, n: int) -> bytes:
    parts = text.split(TOKEN)
    return "".join(p + (f"{n * 97 + i:012x}" if i < len(parts) - 1 else "") for i, p in enumerate(parts)).encode()


class lifespan:
    def __init__(self, app):
        self.app, self.queue = app, asyncio.Queue()

    async def __aenter__(self):
        self.sent = asyncio.Queue()
        self.task = asyncio.create_task(self.app({"type": "lifespan"}, self.queue.get, self.sent.put))
        await self.queue.put({"type": "lifespan.startup"})
        await self.sent.get()

    async def __aexit__(self, *exc):
        await self.queue.put({"type": "lifespan.shutdown"})
        await self.sent.get()
        await self.task


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", help=f"any of {sorted(BY_KEY)}; default: tracia-opik")
    ap.add_argument(
        "--store",
        default="sqlite",
        choices=["sqlite", "memory", "postgres"],
        help="postgres: a fresh database per run on a throwaway cluster (as tests/conftest.py starts one)",
    )
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument(
        "--rate", type=float, default=0, help="open loop at this many req/s: p50/p99 latency instead of CPU"
    )
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    store = args.store
    if store == "postgres":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from scaleout import fresh_store

        from tests.conftest import PgCluster

        cluster = PgCluster()
        store = lambda: fresh_store("postgres", Path("."), cluster.admin)  # noqa: E731
    try:
        measure(args, store)
    finally:
        if args.store == "postgres":
            cluster.stop()


def measure(args, store) -> None:
    name = args.store
    for key in args.scenarios or ["tracia-opik"]:
        sc = BY_KEY[key]  # a KeyError names an unknown scenario
        if args.rate:
            runs = [
                sorted(
                    asyncio.run(run(sc, store() if callable(store) else store, args.requests, args.clients, args.rate))
                )
                for _ in range(args.reps)
            ]
            p = [(r[len(r) // 2] * 1e3, r[int(len(r) * 0.99)] * 1e3) for r in runs]
            print(
                f"{key:<22} {name:<8} at {args.rate:g} req/s: p50 ms {[round(a, 2) for a, _ in p]}, p99 ms "
                f"{[round(b, 2) for _, b in p]}"
            )
            continue
        per = [
            asyncio.run(run(sc, store() if callable(store) else store, args.requests // sc.records or 1, args.clients))
            for _ in range(args.reps)
        ]
        cpu, rate = [c for c, _ in per], [r for _, r in per]
        print(
            f"{key:<22} {name:<8} CPU µs/request: median {statistics.median(cpu):7.0f}   runs {[round(c) for c in cpu]}"
            f"   req/s {[round(r) for r in rate]}"
        )


if __name__ == "__main__":
    main()
