"""Which outbound HTTP client: a trivial Starlette forwarder with httpx vs aiohttp,
against the same upstream, under the same wrk load, in one run.

    python bench/client_choice.py [--seconds 10] [--connections 32,64]
"""

from __future__ import annotations

import argparse
import json

from harness import Server, free_port, machine, versions, wrk

BODY = json.dumps(
    {"scores": [{"id": "01a20c41-cda1-7a06-b0a1-c98960495513", "name": "accuracy", "value": 0.9, "source": "sdk"}]}
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", default="1,32,64")
    args = ap.parse_args()
    rows = []
    with Server("upstream", free_port()) as up:
        rows += [
            ("upstream alone", c, wrk(up.url + "/x", BODY, c, args.seconds))
            for c in map(int, args.connections.split(","))
        ]
        for kind in ("httpx", "aiohttp"):
            with Server(f"naive-{kind}", free_port(), up.url) as fwd:
                rows += [
                    (f"forwarder, {kind}", c, wrk(fwd.url + "/x", BODY, c, args.seconds))
                    for c in map(int, args.connections.split(","))
                ]
    print(f"machine: {machine()}; {versions()}")
    print("| setup | connections | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|")
    for name, c, r in rows:
        print(f"| {name} | {c} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")


if __name__ == "__main__":
    main()
