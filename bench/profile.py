"""Profile the proxy under load: py-spy samples the proxy process while wrk drives one scenario.

    python bench/profile.py [SCENARIO] [--store sqlite|memory] [--seconds 10] [--top 30]

SCENARIO is a key of scenarios.SCENARIOS (default: tracia-opik). Prints the functions
with the most samples, own time and inclusive, as shares of all samples (py-spy
needs `pip install '.[bench]'`; it samples another process, so the proxy runs as is).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Server, free_port, wrk
from scenarios import BY_KEY, proxy_config


def frame(name: str) -> str:
    name = re.sub(
        r"\s*\((?:/[^()]*?/site-packages/|/[^()]*?/lib/python3\.\d+/|"
        + re.escape(str(Path(__file__).resolve().parents[1]))
        + "/)",
        " (",
        name,
    )
    return re.sub(r":\d+\)", ")", name)


def report(raw: Path, top: int) -> str:
    own, incl, total = collections.Counter(), collections.Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [frame(f) for f in stack.split(";")]
        total += int(n)
        own[frames[-1]] += int(n)
        for f in set(frames):
            incl[f] += int(n)
    out = [f"{total} samples", "", "own time:"] + [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    out += ["", "inclusive:"] + [f"  {100 * n / total:5.1f}%  {f}" for f, n in incl.most_common(top * 2)]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="tracia-opik", choices=sorted(BY_KEY))
    ap.add_argument("--store", default="sqlite", choices=["sqlite", "memory"])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    sc = BY_KEY[args.scenario]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with (
            Server("upstream", free_port()) as up,
            Server(
                "proxy", free_port(), str(proxy_config(tmp, up.url, sc.routes, store=args.store)), log=tmp / "log"
            ) as proxy,
        ):
            wrk(proxy.url, sc.body, 32, 2, sc.method, sc.headers, sc.path, sc.before)  # warm up
            raw = tmp / "profile.txt"
            sampler = subprocess.Popen(
                [
                    spy,
                    "record",
                    "-p",
                    str(proxy.proc.pid),
                    "-d",
                    str(args.seconds + 1),
                    "-r",
                    "250",
                    "-f",
                    "raw",
                    "-o",
                    str(raw),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)
            r = wrk(proxy.url, sc.body, 32, args.seconds, sc.method, sc.headers, sc.path, sc.before)
            sampler.wait()
        print(f"{sc.title}, store {args.store}: {r['rps']:.0f} req/s, p99 {r['p99']:.1f} ms while sampled\n")
        print(report(raw, args.top))


if __name__ == "__main__":
    main()
