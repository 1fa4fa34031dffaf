"""Instructions a request of the live proxy process, counted by callgrind: for A/B-ing a change.

    python bench/instructions.py [SCENARIO] [--requests 2000] [--naive] [--store sqlite|memory]

The proxy runs as `serve` does (bench/servers.py) under `valgrind --tool=callgrind`, with its
instrumentation off until the warm-up (300 rounds) is over; it is switched on around exactly
`--requests` rounds of the scenario (a round: its span first where it has one, then its request),
sent by 32 concurrent clients over real sockets to the fast upstream, then off again. The figure
is what the process executed (uvicorn, httptools, the event loop, SQLite, the threads) divided by
the rounds. Unlike CPU time on a shared VM, whose host moves it by a third within the hour, the
count repeats within ±0.5%, and the ratio of two counts (the proxy's to `--naive`'s, the
Starlette + aiohttp forwarder) tracked the ratio of their req/s under wrk. Time runs ~50x slower
under valgrind: what depends on the clock (a parked row's retry timer, 30 s) comes ~50x sooner in
requests, so keep `--requests` at 2,000 or less for the mirror rows. Needs valgrind
(`apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from harness import Server, free_port  # noqa: E402
from scenarios import BY_KEY, proxy_config  # noqa: E402

from proxy.http1 import Http1Client  # noqa: E402

CLIENTS = 32
WARM_UP = 300


async def rounds(url: str, scenario, count: int, first: int) -> None:
    """`count` rounds of the scenario, `CLIENTS` at a time, each with fresh ids."""
    client = Http1Client(limit=2 * CLIENTS)
    numbers = iter(range(first, first + count))
    headers = {"Content-Type": "application/json", **scenario.headers}

    async def one_client() -> None:
        for n in numbers:
            value = f"{os.getpid() & 0xFFFF:04x}{n:010x}"
            for method, path, body in scenario.steps:
                status, _, answer = await client.send(
                    method, url + path.replace("@ID@", value), headers, body.replace("@ID@", value).encode(), 600
                )
                if status >= 300:
                    raise RuntimeError(f"{method} {path} answered {status}: {answer[:200]!r}")

    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    await client.close()


def count(scenario, requests: int, naive: bool, store: str) -> int:
    tmp = Path(tempfile.mkdtemp())
    with Server("upstream", free_port(), log=tmp / "log") as up:
        port = free_port()
        args = ["naive-aiohttp", str(port), up.url] if naive else ["proxy", str(port)]
        if not naive:
            args.append(str(proxy_config(tmp, up.url, scenario.routes, store=store)))
        out = tmp / "callgrind.out"
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
            + [sys.executable, str(HERE / "servers.py"), *args],
            cwd=HERE.parent,
            env={**os.environ, "PYTHONPATH": str(HERE.parent)},
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "valgrind.log", "wb"),
        )
        try:
            deadline = time.time() + 300
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"the server did not start under valgrind: {tmp / 'valgrind.log'}") from None
                    time.sleep(0.5)
            url = f"http://127.0.0.1:{port}"
            asyncio.run(rounds(url, scenario, WARM_UP, 0))
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], stdout=subprocess.DEVNULL, check=True)
            asyncio.run(rounds(url, scenario, requests, 10**6))
            subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], stdout=subprocess.DEVNULL, check=True)
        finally:
            proc.terminate()
            proc.wait(120)
        total = sum(
            int(line.split()[1])
            for f in tmp.glob("callgrind.out*")
            for line in f.read_text().splitlines()
            if line.startswith("totals:")
        )
    return total // requests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="tracia-opik", choices=sorted(BY_KEY))
    ap.add_argument("--requests", type=int, default=2000, help="rounds counted (a round: the scenario's steps)")
    ap.add_argument("--naive", action="store_true", help="the naive forwarder instead of the proxy")
    ap.add_argument("--store", default="sqlite", choices=["sqlite", "memory"])
    args = ap.parse_args()
    sc = BY_KEY[args.scenario]
    who = "naive forwarder" if args.naive else f"proxy ({args.store})"
    print(f"{args.scenario}, {who}: {count(sc, args.requests, args.naive, args.store):,} instructions a round")


if __name__ == "__main__":
    main()
