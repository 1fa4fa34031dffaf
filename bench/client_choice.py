"""Which outbound HTTP client (proxy/upstream.py's transports), against the same fake upstream, in one run:

1. the client alone: this process sends PUTs through the transport (32 in flight) for N seconds;
   its CPU per request and req/s (the fake upstream is another process);
2. the proxy itself, driven in-process as bench/inproc.py drives it (`store: memory://`, 32
   clients) but sending to the fake upstream through each transport: CPU per request, median of 3;
3. a trivial Starlette forwarder with each client under the same wrk load: req/s, latency, and
   the forwarder's CPU per request.

    python bench/client_choice.py [--seconds 10] [--connections 1,32,64] [--kinds httpx,aiohttp,http1]
                                  [--scenarios tracia-opik,tracia-opik+scale]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time

from harness import Server, free_port, machine, versions, wrk

BODY = json.dumps(
    {"scores": [{"id": "01a20c41-cda1-7a06-b0a1-c98960495513", "name": "accuracy", "value": 0.9, "source": "sdk"}]}
)
PATH = "/api/v1/projects/p/traces/t/spans/s/feedback-scores"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _client_alone(kind: str, url: str, seconds: float, in_flight: int = 32) -> dict:
    from proxy.upstream import open_transport

    transport = open_transport(kind)
    headers, body = {"authorization": "x", "content-type": "application/json"}, BODY.encode()
    count = 0

    async def sender(until: float) -> None:
        nonlocal count
        while time.perf_counter() < until:
            await transport.send("PUT", url + PATH, headers, body, 10)
            count += 1

    await asyncio.gather(*(sender(time.perf_counter() + 1) for _ in range(in_flight)))  # warm up: connections open
    count, c0, w0 = 0, _cpu(), time.perf_counter()
    await asyncio.gather(*(sender(w0 + seconds) for _ in range(in_flight)))
    c1, w1 = _cpu(), time.perf_counter()
    await transport.close()
    return {"rps": count / (w1 - w0), "cpu_us": 1e6 * (c1 - c0) / count}


def _run(coro):
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def proxy_in_process(kind: str, url: str, key: str) -> float:
    """The proxy's CPU µs per request for scenario `key`, sending through transport `kind` (median of 3)."""
    import inproc
    from scenarios import BY_KEY

    return statistics.median(_run(inproc.run(BY_KEY[key], "memory", 4000, 32, upstream=(url, kind)))[0] for _ in "123")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", default="1,32,64")
    ap.add_argument("--kinds", default="httpx,aiohttp,http1")
    ap.add_argument("--scenarios", default="tracia-opik,tracia-opik+scale")
    args = ap.parse_args()
    kinds, conns = args.kinds.split(","), [int(c) for c in args.connections.split(",")]
    keys = [k for k in args.scenarios.split(",") if k]
    rows = []
    with Server("upstream", free_port()) as up:
        alone = [(kind, _run(_client_alone(kind, up.url, args.seconds))) for kind in kinds]
        in_proc = [(key, kind, proxy_in_process(kind, up.url, key)) for key in keys for kind in kinds]
        rows += [("upstream alone", c, wrk(up.url + "/x", BODY, c, args.seconds), None) for c in conns]
        for kind in kinds:
            with Server(f"naive-{kind}", free_port(), up.url) as fwd:
                for c in conns:
                    cpu0 = fwd.cpu_seconds()
                    r = wrk(fwd.url + "/x", BODY, c, args.seconds)
                    rows.append((f"forwarder, {kind}", c, r, (fwd.cpu_seconds() - cpu0) / max(1, r["requests"]) * 1e6))
    print(f"machine: {machine()}; {versions()}")
    print("| client alone, 32 in flight | req/s | CPU µs/request |\n|---|---|---|")
    for kind, r in alone:
        print(f"| {kind} | {r['rps']:.0f} | {r['cpu_us']:.0f} |")
    print("\n| the proxy in-process, `store: memory://` | transport | CPU µs/request |\n|---|---|---|")
    for key, kind, cpu in in_proc:
        print(f"| {key} | {kind} | {cpu:.0f} |")
    print("\n| setup | connections | req/s | p50 ms | p99 ms | forwarder CPU µs/request |\n|---|---|---|---|---|---|")
    for name, c, r, cpu in rows:
        cpu_text = "" if cpu is None else f"{cpu:.0f}"
        print(f"| {name} | {c} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {cpu_text} |")


if __name__ == "__main__":
    main()
