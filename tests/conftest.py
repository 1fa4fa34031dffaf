"""Shared fixtures: fake vendor upstreams and a live proxy on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from proxy import vendors
from proxy.app import create_app
from proxy.config import Config
from proxy.mapping import load_all
from proxy.store import MemoryStore
from proxy.testing import FakeServer, FakeVendor

os.environ.setdefault("OPIK_ANALYTICS_ENABLE", "false")
os.environ.setdefault("OPIK_SENTRY_ENABLE", "false")
os.environ.setdefault("OPIK_TRACK_DISABLE", "false")
os.environ.setdefault("OPIK_FILE_LOGGING_LEVEL", "CRITICAL")
# ...into a file of the suite's own, not `opik.log` where the suite runs (the SDK's default)
os.environ.setdefault("OPIK_LOGGING_FILE", os.path.join(tempfile.mkdtemp(prefix="feedback-proxy-tests-"), "opik.log"))

# Each vendor's test profile (proxy/vendors/<vendor>/profile.yaml): what a fake upstream expects,
# what a client (an SDK, or plain HTTP) authenticates with (never to reach an upstream), and the
# path its API lives under. Every vendor matrix of the suite is VENDORS, from the registry.
VENDORS = tuple(vendors.names())
PROFILES = {v: vendors.get(v).profile for v in VENDORS}
UPSTREAM_KEYS = {v: p["upstream"]["key"] for v, p in PROFILES.items()}
UPSTREAM_HEADERS = {v: dict(p["upstream"]["headers"]) for v, p in PROFILES.items()}
CLIENT_KEYS = {v: p["client"]["key"] for v, p in PROFILES.items()}
CLIENT_HEADERS = {v: dict(p["client"]["headers"]) for v, p in PROFILES.items()}
BASE_PATHS = {v: p.get("base_path") or "" for v, p in PROFILES.items()}


def sample(vendor: str, name: str) -> dict:
    """A captured wire sample from the vendor's folder (proxy/vendors/<vendor>/fixtures/)."""
    return json.loads((vendors.get(vendor).fixtures / name).read_text())


def sample_wire(vendor: str, name: str) -> tuple[bytes, str]:
    """A captured request's body as it went on the wire, and its Content-Type: JSON as captured,
    or the bytes a capture of a body that is not JSON keeps (body_info.body_base64: protobuf)."""
    import base64

    c = sample(vendor, name)
    ctype = next((v for k, v in (c.get("headers") or {}).items() if k.lower() == "content-type"), "application/json")
    kept = (c.get("body_info") or {}).get("body_base64")
    return (base64.b64decode(kept) if c.get("body") is None and kept else json.dumps(c["body"]).encode()), ctype


@pytest.fixture(scope="session")
def fakes():
    """One running fake per vendor for the whole session; emptied before each test."""
    servers = {v: FakeServer(FakeVendor(v)).__enter__() for v in VENDORS}
    yield servers
    for s in servers.values():
        s.__exit__(None, None, None)


@pytest.fixture
def upstreams(fakes):
    for s in fakes.values():
        s.vendor.received.clear()
        s.vendor.faults.clear()
        s.vendor.assessments.clear()
    return {v: s.vendor for v, s in fakes.items()}


def upstream_config(fakes, names=VENDORS) -> dict:
    out = {}
    for n in names:
        base = fakes[n].url + BASE_PATHS[n]
        out[n] = {"vendor": n, "base_url": base, "headers": UPSTREAM_HEADERS[n], "timeout": 5}
    return out


@pytest.fixture(scope="session")
def mappings():
    """The mappings compiled once for the session (compiling takes a few hundred ms)."""
    return load_all()


# Retries in tens of milliseconds rather than the production 5 s, so a test that
# injects faults sees the outbox retry within its patience.
FAST_DELIVERY = {
    "linger_ms": 1,
    "poll_interval": 0.05,
    "retry": {"initial_interval": 0.05, "multiplier": 1.5, "max_interval": 0.2, "max_elapsed": 30},
    "breaker": {"failures": 1000, "cooldown": 0.1},
}


@pytest.fixture
def live_proxy(fakes, upstreams, mappings):
    """live_proxy(routes=[...], upstream_patch={name: {"base_url": ..., "timeout": ...}}, **config)
    -> base URL of a proxy running on 127.0.0.1."""
    running = []

    def start(routes: list[dict], upstream_patch: dict[str, dict] | None = None, **extra: Any) -> str:
        ups = upstream_config(fakes)
        for name, fields in (upstream_patch or {}).items():  # a name of its own: one more upstream
            ups.setdefault(name, {}).update(fields)
        extra.setdefault("delivery", FAST_DELIVERY)
        cfg = Config.model_validate({"upstreams": ups, "routes": routes, **extra})
        # each proxy its own in-memory store unless the test names one: no test sees another's records
        store = None if "store" in extra else MemoryStore()
        server = FakeServer(create_app(cfg, mappings=mappings, store=store)).__enter__()
        running.append(server)
        return server.url

    yield start
    for s in running:
        s.__exit__(None, None, None)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def queue_depths(url: str) -> dict[str, float]:
    """The proxy's /metrics queue depth per upstream: records accepted and not yet settled."""
    text = httpx.get(url + "/metrics", timeout=5).text
    found = re.findall(r'^feedback_proxy_queue_depth\{upstream="([^"]+)"\} (\S+)$', text, re.M)
    return {name: float(value) for name, value in found}


def settled(url: str, timeout: float = 10.0) -> None:
    """Wait until the proxy at `url` has settled every record it accepted so far: delivered,
    skipped or a dead letter (its /metrics queue depth 0 for each upstream). A request's records
    are in the outbox before it is answered, so after `settled` nothing it accepted can still
    reach an upstream: what a fake has not received by then, it never will."""
    wait_for(lambda: not any(queue_depths(url).values()), timeout=timeout, what=f"the outbox of {url} to be settled")


def parked(caplog, url: str, **waiting: int) -> None:
    """Wait until the delivery worker of each upstream named has looked at a record and put it back
    to wait for what it lacks (a span's trace id, a root span): not sent then, nor before; and
    until every other record the proxy at `url` accepted is settled: the /metrics queue depths are
    exactly `waiting` (e.g. scale=1). Needs INFO records of `proxy.delivery`
    (caplog.set_level("INFO", logger="proxy.delivery"))."""
    for upstream in waiting:
        wait_for(
            partial(_logged, caplog, f"for {upstream} waits for what it lacks"),
            what=f"a record parked by the {upstream} worker",
        )
    seen: list[dict] = [{}]

    def only_those() -> bool:
        seen[0] = {name: n for name, n in queue_depths(url).items() if n}
        return seen[0] == waiting

    try:
        wait_for(only_those, what=f"nothing but {waiting} waiting in the outbox of {url}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; waiting: {seen[0]}") from None


def _logged(caplog, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)


def assert_upstream_credentials(upstreams: dict) -> int:
    """Every request any fake received carried that upstream's configured credentials
    and no client key anywhere in its headers. Returns how many requests were checked."""
    checked = 0
    for vendor, fake in upstreams.items():
        for r in fake.received:
            for name, value in UPSTREAM_HEADERS[vendor].items():
                assert r.headers.get(name.lower()) == value, (
                    f"{vendor} {r.method} {r.path}: {name}={r.headers.get(name.lower())!r}"
                )
            leaked = [k for k, v in r.headers.items() for key in CLIENT_KEYS.values() if key in v]
            assert not leaked, f"{vendor} {r.method} {r.path}: client key in header(s) {leaked}"
            checked += 1
    return checked


# --- PostgreSQL: a throwaway cluster for the session --------------------------------
# The PostgreSQL store is tested like the others (tests/store/, tests/scaleout/). With
# FEEDBACK_PROXY_TEST_PG=postgresql://user@host:port/db the tests use that server (they
# create and drop databases named fp_test_*); otherwise the first test that needs one
# starts a cluster of its own from the installed server binaries (Debian's `postgresql`
# package: /usr/lib/postgresql/<version>/bin), on 127.0.0.1 and a free port, in a
# temporary directory, as the `postgres` user when run as root (the server refuses
# root), stopped and removed at the end of the session. No PostgreSQL is a failure,
# not a skip: CI installs it (.ci/run).

PG_ENV = "FEEDBACK_PROXY_TEST_PG"


def _pg_bin(name: str) -> str | None:
    import glob
    import shutil

    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    return versions[-1] if versions else None


class PgCluster:
    """initdb + pg_ctl start in a temporary directory; `admin` is a DSN to its `postgres` database."""

    def __init__(self) -> None:
        import subprocess
        import tempfile

        from proxy.testing import free_port

        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            pytest.fail(
                f"PostgreSQL is needed by the PostgreSQL store's tests and is not installed (no initdb/pg_ctl on PATH "
                f"or in "
                f"/usr/lib/postgresql/*/bin). Install it (Debian: apt-get install -y postgresql; .ci/run does), or "
                f"point "
                f"{PG_ENV}=postgresql://user@host:port/db at a server where that user may create databases.",
                pytrace=False,
            )
        self.dir = tempfile.mkdtemp(prefix="feedback-proxy-pg-")
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # postgres will not run as root: the package's system user runs it
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(
                    "running as root and there is no `postgres` user to run PostgreSQL as (Debian's postgresql package "
                    "creates it)",
                    pytrace=False,
                )
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.pg_ctl, self.data, self.port = pg_ctl, f"{self.dir}/data", free_port()
        self.log = f"{self.dir}/server.log"

        def run(*cmd: str) -> subprocess.CompletedProcess:
            return subprocess.run([*self.as_user, *cmd], capture_output=True, text=True, timeout=120)

        out = run(initdb, "-D", self.data, "-A", "trust", "-U", "proxy", "-E", "UTF8", "--no-sync", "--no-instructions")
        if out.returncode:
            pytest.fail(f"initdb failed: {out.stderr or out.stdout}", pytrace=False)
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -F -c max_connections=300 -c shared_buffers=64MB"
        out = run(pg_ctl, "-D", self.data, "-w", "-t", "60", "-l", self.log, "-o", opts, "start")
        if out.returncode:
            log = Path(self.log).read_text()[-2000:] if Path(self.log).exists() else ""
            pytest.fail(f"PostgreSQL did not start: {out.stderr or out.stdout}\n{log}", pytrace=False)
        self.admin = f"postgresql://proxy@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        import shutil
        import subprocess

        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    """An admin DSN: FEEDBACK_PROXY_TEST_PG, or a throwaway cluster started for the session."""
    if os.environ.get(PG_ENV):
        yield os.environ[PG_ENV]
        return
    cluster = PgCluster()
    try:
        yield cluster.admin
    finally:
        cluster.stop()


@pytest.fixture
def pg_database(pg_server):
    """new() -> the URL of a fresh, empty database on the session's server (dropped afterwards)."""
    import itertools
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    made: list[str] = []
    counter = itertools.count()

    def new() -> str:
        name = f"fp_test_{os.getpid()}_{time.monotonic_ns()}_{next(counter)}"
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        parts = urlsplit(pg_server)
        return urlunsplit(parts._replace(path="/" + name))

    yield new
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
