"""A fixed-rate load generator (wrk2-style: open loop, latency counted from the moment
each request was due, so a stall is not hidden by the generator waiting for it).

    python bench/loadgen.py URL --rate 200 --seconds 8 [--method POST] [--body JSON] [--header K:V ...]
                            [--before METHOD PATH BODY]

`@ID@` in the URL's path or the body becomes a fresh value per request (harness.py). With
`--before`, each round sends that request too, at the same moment, with the same fresh value
in both (the span an evaluation is about): `--rate` counts both requests.
Prints one JSON line: sent, ok, errors, achieved rate, p50 / p99 / max latency in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import time

import aiohttp
from harness import TOKEN, fill_ids


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def round_of(steps: list[tuple[str, str, str | None]], nonce: int, counter) -> list[tuple[str, str, bytes | None]]:
    """One round's requests: alone, each `@ID@` its own fresh value; with a step before, one value for all."""
    if len(steps) == 1:
        method, url, body = steps[0]
        return [(method, fill_ids(url, nonce, counter), fill_ids(body, nonce, counter).encode() if body else None)]
    value = f"{nonce:04x}fe{next(counter) % (1 << 24):06x}"
    return [(m, u.replace(TOKEN, value), b.replace(TOKEN, value).encode() if b else None) for m, u, b in steps]


async def run(steps: list[tuple[str, str, str | None]], rate: float, seconds: float, headers: dict) -> dict:
    """`steps`: (method, url, body) sent together each round; rounds at `rate` / len(steps) a second."""
    nonce, counter = random.randrange(1 << 16), itertools.count()
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=30)
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",)) as session:

        async def one(due: float, method: str, target: str, data: bytes | None) -> None:
            nonlocal failures
            try:
                async with session.request(method, target, data=data, headers=headers) as r:
                    await r.read()
                    ok = r.status < 400
            except aiohttp.ClientError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - due)
            else:
                failures += 1

        async def warm() -> None:  # open the connections a steady 200 req/s needs, outside the measurement
            now = time.perf_counter()
            await asyncio.gather(*(one(now, *r) for _ in range(8) for r in round_of(steps, nonce, counter)))

        await warm()
        latencies.clear()
        failures = 0
        rounds = int(rate * seconds) // len(steps)
        total = rounds * len(steps)
        tasks = []
        start = time.perf_counter()
        for i in range(rounds):
            due = start + i * len(steps) / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks += [asyncio.ensure_future(one(due, *r)) for r in round_of(steps, nonce, counter)]
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    return {
        "sent": total,
        "ok": len(latencies),
        "errors": failures,
        "rate": round(total / elapsed, 1),
        "p50": round(percentile(ms, 50), 3),
        "p99": round(percentile(ms, 99), 3),
        "max": round(ms[-1], 3) if ms else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--method", default="POST")
    ap.add_argument("--body")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--before", nargs=3, metavar=("METHOD", "PATH", "BODY"))
    args = ap.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    if args.body is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    steps = [(args.method, args.url, args.body)]
    if args.before:  # its path on the same server as the URL's
        method, path, body = args.before
        steps.insert(0, (method, args.url[: args.url.index("/", len("http://"))] + path, body))
    print(json.dumps(asyncio.run(run(steps, args.rate, args.seconds, headers))))


if __name__ == "__main__":
    main()
