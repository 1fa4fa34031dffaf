"""The one benchmark command: `python bench/run.py` (about 4-5 minutes).

In one run, on this machine, with the same load generator (wrk) for every row:
  a) the fake upstream alone (the floor)
  b) a naive pass-through: Starlette forwarding the body unchanged with aiohttp (the ceiling)
  c) feedback-proxy: Tracia -> Opik; the same plus a durable Scale mirror; the same with
     each evaluation's span sent too (so the mirror delivers, and its lag is measured);
     an Opik 100-score batch with a Scale mirror; Scale -> Opik; a repeated request (REPLAY)
at 32 connections: req/s, p50 / p99 latency, CPU per request and peak RSS of the
process under test; then a) to c)'s first row at a fixed 200 req/s (bench/loadgen.py),
the 1,000-score decode (bench/decode.py), the durable path (bench/durable.py) and the
CPU per stage of the translating path (bench/stages.py). A row with a mirror reports the
mirror's lag, from acceptance to the mirror's answer (bench/lag.py: p50/p99 of the proxy's
feedback_proxy_delivery_lag_seconds once its outbox has drained, interpolated within the
buckets). Last, issue 20's targets, each met or not (bench/targets.py).
Every measurement is repeated (--reps) and the median reported. The results replace
the generated part of bench/RESULTS.md (--no-write: print only).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import targets
from harness import HERE, Server, busy_processes, free_port, load_average, machine, versions, wrk
from lag import describe, mirror_lag
from scenarios import SCENARIOS, TRACIA_BODY, TRACIA_HEADERS, TRACIA_PATH, Scenario, proxy_config

CONNECTIONS = 32
BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"


def median(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def measured(server: Server, sc: Scenario, seconds: float) -> dict:
    """One wrk run, with the CPU the server process spent on it."""
    cpu0 = server.cpu_seconds()
    r = wrk(server.url, sc.body, CONNECTIONS, seconds, sc.method, sc.headers, sc.path, sc.before)
    r["cpu_us"] = (server.cpu_seconds() - cpu0) / max(1, r["requests"]) * 1e6
    return r


def summary(title: str, rows: list[dict], server: Server, sc: Scenario, note: str = "", lag=None) -> dict:
    return {
        "key": sc.key,
        "title": title,
        "rps": median(rows, "rps"),
        "records_per_s": median(rows, "rps") * sc.records_per_request,
        "p50": median(rows, "p50"),
        "p99": median(rows, "p99"),
        "cpu_us": median(rows, "cpu_us"),
        "rss_mb": server.rss_mb(),
        "bad": sum(r["non2xx"] + r["errors"] for r in rows),
        "runs": [round(r["rps"]) for r in rows],
        "note": note,
        "lag": lag,  # the mirror's (bench/lag.py), for a row with one
    }


def outcomes(server: Server) -> str:
    """What the mirror did with the records, from the proxy's /metrics."""
    try:
        parts = [f"{int(server.metric('feedback_proxy_accepted_records_total'))} records accepted for delivery"]
        text = urllib.request.urlopen(server.url + "/metrics", timeout=5).read().decode()
    except Exception as exc:  # the metrics are a convenience here
        return f"(no /metrics: {exc})"
    for line in text.splitlines():
        if line.startswith(("feedback_proxy_deliveries_total{", "feedback_proxy_skipped")) and not line.endswith(
            " 0.0"
        ):
            name, value = line.rsplit(" ", 1)
            parts.append(f"{name.replace('feedback_proxy_', '').replace('_total', '')} = {float(value):.0f}")
    return "; ".join(parts)


def throughput(args, tmp: Path) -> list[dict]:
    log = tmp / "servers.log"
    out = []
    tracia = Scenario("tracia", "", "POST", TRACIA_PATH, TRACIA_BODY, TRACIA_HEADERS)
    first = SCENARIOS[0]
    with Server("upstream", free_port(), log=log) as up:
        with (
            Server("naive-aiohttp", free_port(), up.url, log=log) as naive,
            Server("proxy", free_port(), str(proxy_config(tmp, up.url, first.routes)), log=log) as proxy,
            Server(
                "proxy", free_port(), str(proxy_config(tmp, up.url, first.routes, store="memory")), log=log
            ) as in_memory,
        ):
            trio = [
                ("a) fake upstream alone (floor)", up, tracia),
                ("b) naive pass-through, Starlette + aiohttp (ceiling)", naive, tracia),
                (f"c) {first.title}", proxy, first),
                (f"c) {first.title}, `store: memory://`", in_memory, first),
            ]
            for _, server, sc in trio:  # warm-up: connections, caches, the store's first pages
                wrk(server.url, sc.body, CONNECTIONS, 2, sc.method, sc.headers, sc.path)
            runs: dict[str, list] = {t: [] for t, _, _ in trio}
            for _ in range(args.reps):  # interleaved, so a busy moment of the machine hits every row alike
                for title, server, sc in trio:
                    runs[title].append(measured(server, sc, args.seconds))
                    print(f"  {title}: {runs[title][-1]['rps']:.0f} req/s", file=sys.stderr, flush=True)
            out += [summary(t, runs[t], s, sc) for t, s, sc in trio]
            ceiling = out[1]["rps"]
            rate = fixed_rate(
                args,
                [
                    ("b) naive pass-through", naive, tracia),
                    (f"c) {first.title}", proxy, first),
                    (f"c) {first.title}, `store: memory://`", in_memory, first),
                ],
            )
        for sc in SCENARIOS[1:]:
            with Server("proxy", free_port(), str(proxy_config(tmp, up.url, sc.routes)), log=log) as proxy:
                wrk(proxy.url, sc.body, CONNECTIONS, 2, sc.method, sc.headers, sc.path, sc.before)
                rows = []
                for _ in range(args.reps):
                    rows.append(measured(proxy, sc, args.seconds))
                    print(f"  c) {sc.title}: {rows[-1]['rps']:.0f} req/s", file=sys.stderr, flush=True)
                note, lag = sc.note, None
                if sc.mirrors:  # the lag of what the load sent, once the outbox has drained (or stopped draining)
                    mirror = sc.routes[0]["mirrors"][0]
                    lag = mirror_lag(proxy.url, mirror)
                    note += f". Mirror: {outcomes(proxy)}; {describe(lag, mirror)}"
                out.append(summary(f"c) {sc.title}", rows, proxy, sc, note, lag))
        steady = steady_lag(args, tmp, up, log)
    return out, ceiling, rate, steady


def loadgen(server: Server, sc: Scenario, args) -> dict:
    """bench/loadgen.py at the fixed rate on `server`, a round of `sc`'s steps at a time."""
    cmd = [
        sys.executable,
        str(HERE / "loadgen.py"),
        server.url + sc.path,
        "--rate",
        str(args.rate),
        "--seconds",
        str(args.rate_seconds),
        "--method",
        sc.method,
        "--body",
        sc.body,
    ] + [f"--header={k}:{v}" for k, v in sc.headers.items()]
    if sc.before:
        cmd += ["--before", *sc.before]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=HERE).stdout)


def fixed_rate(args, setups: list[tuple[str, Server, Scenario]]) -> list[dict]:
    rows: dict[str, list] = {title: [] for title, _, _ in setups}
    for _ in range(args.reps):
        for title, server, sc in setups:
            r = loadgen(server, sc, args)
            rows[title].append(r)
            print(f"  {args.rate} req/s, {title}: p99 {r['p99']:.2f} ms", file=sys.stderr, flush=True)
    return [
        {
            "title": t,
            "rate": median(r, "rate"),
            "p50": median(r, "p50"),
            "p99": median(r, "p99"),
            "max": median(r, "max"),
            "errors": sum(x["errors"] for x in r),
            "runs_p99": [round(x["p99"], 2) for x in r],
            "runs_p50": [x["p50"] for x in r],
        }
        for t, r in rows.items()
    ]


def steady_lag(args, tmp: Path, upstream: Server, log: Path) -> dict:
    """The mirror's lag at the fixed rate, below what the proxy can take (so not a backlog): a
    fresh proxy, evaluations and their spans sent together, the lag once its outbox has drained."""
    sc = next(s for s in SCENARIOS if s.before and s.mirrors)
    with Server("proxy", free_port(), str(proxy_config(tmp, upstream.url, sc.routes)), log=log) as proxy:
        sent = loadgen(proxy, sc, args)
        mirror = sc.routes[0]["mirrors"][0]
        lag = mirror_lag(proxy.url, mirror)
    print(f"  {args.rate} req/s, {sc.title}: {describe(lag, mirror)}", file=sys.stderr, flush=True)
    return {"title": sc.title.split(",")[0], "mirror": mirror, "sent": sent, **lag}


def steady_lag_lines(lag: dict, rate: int) -> list[str]:
    return [
        "",
        f"The mirror's lag at a fixed {rate} req/s ({lag['title']}: an evaluation and its span sent together, "
        f"{rate // 2} of each a second, on a proxy of its own): {describe(lag, lag['mirror'])}, from acceptance "
        "to Scale's answer.",
    ]


def stage_table(st: dict | None) -> list[str]:
    if st is None:
        return ["", "(No CPU per stage: bench/stages.py needs yappi, `pip install '.[bench]'`.)"]
    L = [
        "",
        f"### Where the CPU goes: {st['scenario']}, {st['store']} store (bench/stages.py, in process, yappi)",
        "",
        f"{st['cpu_us']:.0f} CPU µs per request unprofiled; a stage is inclusive and nested stages are indented "
        "(only siblings add up).",
        "",
        "| stage | share | µs/request |",
        "|---|---|---|",
    ]
    L += [f"| {'&nbsp;&nbsp;' * r['depth'] * 2}{r['stage']} | {r['share']:.1%} | {r['us']:.0f} |" for r in st["stages"]]
    return L


def child(script: str, *extra: str) -> object:
    out = subprocess.run(
        [sys.executable, str(HERE / script), "--json", *extra], capture_output=True, text=True, check=True, cwd=HERE
    )
    return json.loads(out.stdout)


def render(res: dict) -> str:
    t, rate, dec, dur = res["throughput"], res["rate"], res["decode"], res["durable"]
    ceiling = t[1]["rps"]
    L = [
        BEGIN,
        "",
        "## Speed (`python bench/run.py`)",
        "",
        f"Run {res['date']} ({res['duration_s']:.0f} s) on {res['machine']}.",
        f"{res['versions']}.",
        "",
        f"How busy the machine was: load average {res['load_before']} before, {res['load_after']} after"
        + (
            f"; other processes using a CPU at the start: {', '.join(res['busy'])}."
            if res["busy"]
            else "; nothing else was using a CPU at the start."
        ),
        "Every figure is the median of " + f"{res['reps']} runs ({res['seconds']} s each, interleaved for rows a-c1); "
        "CPU is the process under test's (user + system) divided by the requests it answered.",
        "",
        f"### Throughput at {CONNECTIONS} connections (wrk)",
        "",
        "| setup | req/s | assessments/s | p50 ms | p99 ms | CPU µs/request | peak RSS MB | runs (req/s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in t:
        bad = f" ({r['bad']} non-2xx/errors)" if r["bad"] else ""
        L.append(
            f"| {r['title']}{bad} | {r['rps']:.0f} | {r['records_per_s']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['cpu_us']:.0f} | {r['rss_mb']:.0f} | {r['runs']} |"
        )
    notes = [f"- {r['title']}: {r['note']}" for r in t if r["note"]]
    floor = t[0]["rps"] / ceiling if ceiling else float("nan")
    L += [
        "",
        "Rows a) and b) answer the Tracia request (the upstream answers an `EvaluateResult`); every request carries "
        "fresh ids"
        " but the REPLAY row's.",
        f"The fake upstream (raw asyncio, bench/fast_upstream.py) answered {floor:.1f}x the naive forwarder's req/s"
        + (
            " (at least 10x: no ratio here measures the fake)."
            if floor >= 10
            else " (LESS than 10x: the ratios below partly measure the fake; re-run on a quieter machine)."
        ),
        *notes,
        "",
        f"### Latency at a fixed {res['rate_rps']} req/s (bench/loadgen.py, open loop, latency from each request's due "
        f"time)",
        "",
        "| setup | achieved req/s | p50 ms | p99 ms | max ms | runs (p99 ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rate:
        L.append(
            f"| {r['title']} | {r['rate']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.1f} | {r['runs_p99']} |"
        )
    L += steady_lag_lines(res["steady_lag"], res["rate_rps"])
    L += stage_table(res["stages"])
    L += [
        "",
        "### Decoding one 1,000-score Opik batch (bench/decode.py, the lowest of 5 medians of 60)",
        "",
        "| step | ms |",
        "|---|---|",
        f"| JSON parse (orjson) | {dec['parse_ms']:.2f} |",
        f"| decode to canonical records, record ids included (rules as generated code) | {dec['decode_ms']:.2f} |",
        f"| the same with the rules interpreted (proxy/mapping/interpret.py, no generated code) | "
        f"{dec['decode_interpreted_ms']:.2f} |",
        f"| 1,000 Opik spans decoded | {dec['decode_spans_ms']:.2f} |",
        f"| of which the record ids (proxy/ids.py `record_ids`: one HMAC per request) | {dec['ids_ms']:.2f} |",
        f"| the record ids as they were made before (an HMAC and a `uuid.UUID` per record) | "
        f"{dec['ids_per_record_ms']:.2f} |",
        "",
        f"### Durable path: acknowledged assessments/s on one CPU (bench/durable.py, {dur[0]['clients']} concurrent "
        f"callers)",
        "",
        "| store | records per request | acknowledged records/s | CPU µs/record |",
        "|---|---|---|---|",
    ]
    for r in dur:
        L.append(f"| {r['store']} | {r['per_request']} | {r['records_per_s']:.0f} | {r['cpu_us_per_record']:.0f} |")
    live = [r for r in t if "mirror" in r["title"]]
    L += [
        "",
        "### Durable path through the live proxy",
        "",
        "From the throughput rows (wrk at 32 connections, the proxy sharing the 2 CPUs with wrk and the upstream): "
        + "; ".join(f"{r['title'][3:]}: {r['records_per_s']:.0f} assessments/s acknowledged" for r in live)
        + ".",
        "",
    ]
    L += targets.table(res)
    L += ["", END]
    return "\n".join(L)


def write(text: str, path: Path) -> None:
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END) :]
    else:
        head, sep, rest = old.partition("\n## ")
        new = head.rstrip() + "\n\n" + text + "\n\n" + (sep.strip() + " " + rest if sep else "")
    path.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5, help="each wrk run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rate", type=int, default=200, help="the fixed rate, req/s")
    ap.add_argument("--rate-seconds", type=float, default=8)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    started = time.time()
    res = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "versions": versions(),
        "load_before": load_average(),
        "busy": busy_processes({os.getpid()}),
        "reps": args.reps,
        "seconds": args.seconds,
        "rate_rps": args.rate,
    }
    with tempfile.TemporaryDirectory() as tmp:
        print("throughput and fixed-rate latency ...", file=sys.stderr, flush=True)
        res["throughput"], _, res["rate"], res["steady_lag"] = throughput(args, Path(tmp))
    print("decode ...", file=sys.stderr, flush=True)
    res["decode"] = child("decode.py")
    print("durable ...", file=sys.stderr, flush=True)
    res["durable"] = child("durable.py", "--seconds", "3")
    print("stages ...", file=sys.stderr, flush=True)
    res["stages"] = child("stages.py") if importlib.util.find_spec("yappi") else None
    res["load_after"], res["duration_s"] = load_average(), time.time() - started
    text = render(res)
    print(text)
    if not args.no_write:
        write(text, HERE / "RESULTS.md")


if __name__ == "__main__":
    main()
