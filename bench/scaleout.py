"""Throughput of one proxy process against two (`serve --workers 2`), on SQLite and PostgreSQL.

    python bench/scaleout.py [--seconds 8] [--reps 2] [--pg postgresql://...] [--json]

For each store and each process count, `feedback-proxy serve` runs exactly as a user
would run it, in front of the minimal fake upstream (bench/servers.py upstream), and
wrk drives it at 32 connections for two routes:

  tracia-opik     Tracia evaluation -> Opik (translating primary): the span id's
                  UUIDv7 is kept in the id registry (a store write per new span)
  opik10-scale    Opik 10-score batch -> Opik (forwarded) + durable Scale mirror: the
                  10 records are committed to the outbox before the answer, and the
                  outbox workers of every process deliver them meanwhile

Reported: acknowledged requests/s (median of --reps), p50/p99, and for the mirror the
records still waiting in the outbox when wrk stops and how long they took to drain.
PostgreSQL: --pg URL (a database the user may create tables in), else a throwaway
cluster is started from the installed server binaries (as tests/conftest.py does).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from harness import ROOT, Server, free_port, load_average, machine, versions, wrk

sys.path.insert(0, str(ROOT))

from scenarios import OPIK_BATCH_PATH, OPIK_HEADERS, TRACIA_BODY, TRACIA_HEADERS, TRACIA_PATH, opik_batch  # noqa: E402

ROUTES = {
    "tracia-opik": (
        "Tracia → Opik",
        "POST",
        TRACIA_PATH,
        TRACIA_BODY,
        TRACIA_HEADERS,
        1,
        [{"from": "tracia", "primary": "opik"}],
    ),
    "opik10-scale": (
        "Opik 10-score batch → Opik + durable Scale mirror",
        "PUT",
        OPIK_BATCH_PATH,
        opik_batch(10),
        OPIK_HEADERS,
        10,
        [{"from": "opik", "primary": "opik", "mirrors": ["scale"]}],
    ),
}


def config(directory: Path, upstream: str, routes: list, store: str) -> Path:
    cfg = {
        "upstreams": {
            "opik": {
                "vendor": "opik",
                "base_url": f"{upstream}/api",
                "headers": {"Authorization": "up-opik", "Comet-Workspace": "bench"},
            },
            "tracia": {"vendor": "tracia", "base_url": upstream, "headers": {"Authorization": "Bearer up-tracia"}},
            "scale": {
                "vendor": "scale",
                "base_url": upstream,
                "headers": {"x-api-key": "up-scale", "x-selected-account-id": "acct_up"},
            },
        },
        "routes": routes,
        "store": store,
        "log_level": "warning",
    }
    path = directory / f"config-{time.monotonic_ns()}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


class Proxy:
    """`feedback-proxy serve --config C --port P --workers N`, up until the with-block ends."""

    def __init__(self, cfg: Path, port: int, workers: int, log: Path):
        self.url, self.port = f"http://127.0.0.1:{port}", port
        self._log = open(log, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proxy",
                "serve",
                "--config",
                str(cfg),
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            stdout=self._log,
            stderr=self._log,
        )

    def __enter__(self) -> Proxy:
        import urllib.request

        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the proxy exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.url + "/readyz", timeout=1)
                time.sleep(1.0)  # every worker process up, not just the first
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the proxy did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._log.close()


def fresh_store(kind: str, tmp: Path, pg_admin: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/bench-{time.monotonic_ns()}.db"
    import psycopg

    name = f"bench_{time.monotonic_ns()}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_admin.rsplit("/", 1)[0] + "/" + name


def drained(store_url: str, timeout: float = 120) -> tuple[int, float]:
    """(records waiting when called, seconds until none were)."""
    sys.path.insert(0, str(ROOT))
    from proxy.store import open_store

    store = open_store(store_url)
    try:
        t0 = time.perf_counter()
        waiting = sum(n for n, _ in store.depth().values())
        while store.depth() and time.perf_counter() - t0 < timeout:
            time.sleep(0.1)
        return waiting, time.perf_counter() - t0
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--pg", help="an admin DSN to an existing PostgreSQL (default: start a throwaway cluster)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cluster = None
    pg_admin = args.pg
    if not pg_admin:
        sys.path.insert(0, str(ROOT))
        from tests.conftest import PgCluster

        cluster = PgCluster()
        pg_admin = cluster.admin
    rows = []
    if not args.json:
        print(f"{machine()}\n{versions()}\nload average before: {load_average()}\n", flush=True)
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            Server("upstream", free_port(), log=Path(tmp) / "upstream.log") as upstream,
        ):
            tmp = Path(tmp)
            for key, (title, method, path, body, headers, records, routes) in ROUTES.items():
                for kind in ("sqlite", "postgresql"):
                    for workers in (1, 2):
                        runs = []
                        for _ in range(args.reps):
                            store = fresh_store(kind, tmp, pg_admin)
                            with Proxy(
                                config(tmp, upstream.url, routes, store), free_port(), workers, tmp / "proxy.log"
                            ) as proxy:
                                wrk(proxy.url, body, 8, 2, method, headers, path)  # warm-up
                                r = wrk(proxy.url, body, args.connections, args.seconds, method, headers, path)
                                r["waiting"], r["drain_s"] = drained(store) if "mirrors" in routes[0] else (0, 0.0)
                            runs.append(r)
                        row = {
                            "route": key,
                            "title": title,
                            "store": kind,
                            "processes": workers,
                            "connections": args.connections,
                            "rps": statistics.median(r["rps"] for r in runs),
                            "records_per_s": statistics.median(r["rps"] for r in runs) * records,
                            "p50": statistics.median(r["p50"] for r in runs),
                            "p99": statistics.median(r["p99"] for r in runs),
                            "bad": sum(r["non2xx"] + r["errors"] for r in runs),
                            "runs": [round(r["rps"]) for r in runs],
                            "waiting": max(r["waiting"] for r in runs),
                            "drain_s": max(r["drain_s"] for r in runs),
                        }
                        rows.append(row)
                        if not args.json:
                            extra = (
                                f"; outbox after: {row['waiting']} waiting, drained in {row['drain_s']:.1f} s"
                                if row["waiting"] or "mirror" in title
                                else ""
                            )
                            print(
                                f"{title:52} {kind:10} {workers} process(es): {row['rps']:7.0f} req/s "
                                f"({row['records_per_s']:.0f} records/s) "
                                f"p50 {row['p50']:.1f} ms p99 {row['p99']:.1f} ms, runs {row['runs']}, non-2xx/errors "
                                f"{row['bad']}{extra}",
                                flush=True,
                            )
    finally:
        if cluster:
            cluster.stop()
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
