"""Where a translated request's CPU goes, stage by stage: `python bench/stages.py [SCENARIO] [--store sqlite|memory]`.

The in-process driver of bench/inproc.py runs the scenario twice: plain, for the CPU
µs per request, then under yappi (CPU clock, every thread: the store's commits run on
one), for each stage's share. A stage is the inclusive time of the functions that do
it; stages nest as printed ("of which"), so only siblings add up. The µs column is the
share times the plain run's CPU per request (the profiler itself costs ~5x). Judge a
change by the stage it should move; `pip install '.[bench]'` for yappi. Shares are of
the CPU of the request path and the store's commit thread together (the top-level rows).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inproc  # noqa: E402
from scenarios import BY_KEY  # noqa: E402

# (depth, label, the functions whose inclusive CPU it is: "file suffix:qualified name")
STAGES = [
    (0, "request, ASGI in to answer out", ["proxy/app.py:App.__call__"]),
    (1, "body read (bounded, inflated)", ["proxy/app.py:read"]),
    (1, "decode to canonical records", ["proxy/mapping/decode.py:CompiledDecode.__call__"]),
    (
        1,
        "ids and registry: resolve, remember",
        ["proxy/resolve.py:Resolver.resolve", "proxy/resolve.py:Resolver.remember"],
    ),
    (1, "translated send to the primary", ["proxy/delivery/primary.py:send_translated"]),
    (2, "encode for the upstream", ["proxy/delivery/target.py:Target.encode"]),
    (3, "ids translated into the upstream's", ["proxy/idspace.py:IdSpace.translate"]),
    (2, "send (transport, observer)", ["proxy/delivery/target.py:Target.send"]),
    (2, "delivered marks", ["proxy/delivery/target.py:Target.delivered"]),
    (1, "group commit, the request's wait", ["proxy/delivery/committer.py:GroupCommit.__call__"]),
    (1, "answer (respond rules, reply)", ["proxy/mapping/vendor.py:VendorMapping.respond", "proxy/app.py:send_reply"]),
    (1, "metrics and journal", ["proxy/metrics.py:Metrics.request", "proxy/observe/journal.py:Journal.begin"]),
    (
        0,
        "store commit (the group commit's, on the event loop or a thread; shared by a group)",
        ["proxy/store/sql_store.py:SQLiteStore.commit", "proxy/store/memory.py:MemoryStore.commit"],
    ),
]


def profiled(scenario, store: str, requests: int, clients: int) -> dict[str, float]:
    import yappi

    yappi.set_clock_type("cpu")
    yappi.clear_stats()
    yappi.start(builtins=True)
    asyncio.run(inproc.run(scenario, store, requests, clients))
    yappi.stop()
    return {f"{s.module}:{s.name}": s.ttot for s in yappi.get_func_stats()}


def stage_seconds(times: dict[str, float], functions: list[str]) -> float:
    return sum(t for name, t in times.items() if any(name.endswith(f) for f in functions))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="tracia-opik", help=f"one of {sorted(BY_KEY)}")
    ap.add_argument("--store", default="sqlite", choices=["sqlite", "memory"])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows, cpu_us = stages(BY_KEY[args.scenario], args.store, args.requests)
    if args.json:
        print(json.dumps({"scenario": args.scenario, "store": args.store, "cpu_us": cpu_us, "stages": rows}))
        return
    print(f"{args.scenario}, {args.store} store: {cpu_us:.0f} CPU µs per request (unprofiled); shares of all of it:")
    for r in rows:
        print(f"  {'  ' * r['depth']}{r['stage']:<{64 - 2 * r['depth']}} {r['share']:6.1%} {r['us']:7.0f} µs")


def stages(sc, store: str, requests: int) -> tuple[list[dict], float]:
    """Each stage's share of the CPU (the request's and the store thread's), and the CPU µs per request."""
    cpu_us, _ = asyncio.run(inproc.run(sc, store, requests, 32))
    times = profiled(sc, store, requests, 32)
    total = sum(stage_seconds(times, functions) for depth, _, functions in STAGES if depth == 0)
    rows = []
    for depth, label, functions in STAGES:
        share = stage_seconds(times, functions) / total
        rows.append({"depth": depth, "stage": label, "share": share, "us": share * cpu_us})
    return rows, cpu_us


if __name__ == "__main__":
    main()
