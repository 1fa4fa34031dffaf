"""Creates that are not idempotent (Scale `POST /v5/span-assessments`, Tracia `POST
.../evaluations`), delivered by a `serve` process that is stopped mid-delivery, restarted on
the same SQLite store each time, while slow fakes (40-250 ms a create) take them.

SIGTERM: the sends in flight end and are settled before the process exits: 0 duplicates,
0 losses. SIGKILL, repeatedly, some right after a fake answered 2xx: every acknowledged write
arrives; Scale 0 duplicates (a create that may have arrived is read back before it is sent
again); Tracia, which has no read, at most `concurrency` per kill (README, Delivery)."""

from __future__ import annotations

import asyncio
import collections
import os
import random
import signal
import threading
import time
from pathlib import Path

import httpx

from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import wait_for
from tests.scaleout.common import saved, start, stop, up, upstream

TRACES = SPANS = 250  # Opik trace scores become Scale creates, span scores Tracia evaluations
CONCURRENCY = 4


def write_config(tmp_path: Path, scale: FakeServer, tracia: FakeServer) -> Path:
    cfg = {
        "store": f"sqlite:///{tmp_path}/proxy.db",
        "upstreams": {
            "scale": upstream("scale", scale.url, 1),
            "tracia": upstream("tracia", tracia.url, 1),
        },
        "routes": [{"from": "opik", "mirrors": ["scale", "tracia"]}],
        # park_ttl 0: a span score (no trace_id) is a dead letter for Scale at once, not a wait
        "delivery": {
            "linger_ms": 2,
            "poll_interval": 0.1,
            "concurrency": CONCURRENCY,
            "lease_seconds": 1.5,
            "park_ttl": 0,
            "retry": {"initial_interval": 0.1, "multiplier": 2, "max_interval": 0.5, "max_elapsed": 3600},
            "breaker": {"failures": 1000, "cooldown": 0.1},
        },
        "log_level": "info",
    }
    return saved(tmp_path, cfg)


def uuid_of(i: int) -> str:
    return f"01a20c41-cda1-7a06-b0a1-{i:012x}"


def request(i: int) -> tuple[str, dict]:
    kind = "traces" if i < TRACES else "spans"
    score = {"id": uuid_of(i), "name": "quality", "value": 1, "source": "sdk"}
    return f"/api/v1/private/{kind}/feedback-scores", {"scores": [score]}


class Client:
    """Sends every request until the proxy acknowledged it (204), through restarts, 8 at a time."""

    def __init__(self, port: int):
        self.port, self.acked = port, set()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        queue = collections.deque(range(TRACES + SPANS))

        async def one(client: httpx.AsyncClient) -> None:
            while queue:
                i = queue.popleft()
                path, body = request(i)
                try:
                    r = await client.put(f"http://127.0.0.1:{self.port}{path}", json=body, timeout=5)
                    ok = r.status_code == 204
                except httpx.HTTPError:
                    ok = False
                if ok:
                    self.acked.add(i)
                else:  # the proxy is down: again later
                    queue.append(i)
                    await asyncio.sleep(0.05)

        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(one(client) for _ in range(8)))


def creates(fake: FakeVendor) -> collections.Counter:
    """How many times each record arrived: Scale by trace, Tracia by span."""
    if fake.name == "scale":
        return collections.Counter(r.body["trace_id"] for r in fake.received if r.method == "POST")
    return collections.Counter(r.path for r in fake.received if r.method == "POST")


def settled(port: int) -> bool:
    """Nothing left in the proxy's outbox for either upstream."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return False
    depths = [line for line in text.splitlines() if line.startswith("feedback_proxy_queue_depth{")]
    return all(line.endswith(" 0.0") for line in depths)


def run_with_stops(tmp_path: Path, stops: list, sig: int) -> tuple[FakeVendor, FakeVendor, dict]:
    """Deliver the lot, stopping the proxy with `sig` at each of `stops` (callables that wait for
    their moment, given the fakes) and starting it again; returns the fakes once all is settled."""
    port = free_port()
    with FakeServer(FakeVendor("scale")) as scale, FakeServer(FakeVendor("tracia")) as tracia:
        for fake in (scale, tracia):
            fake.vendor.slow = (0.04, 0.25)
        config = write_config(tmp_path, scale, tracia)
        log = tmp_path / "proxy.log"
        proc = start(config, port, log)
        client = Client(port)
        client.thread.start()
        started = time.monotonic()
        figures = {"stops": 0}
        try:
            for moment in stops:
                moment(scale.vendor, tracia.vendor, proc)
                if proc.poll() is None:
                    os.kill(proc.pid, sig)
                proc.wait(30)
                figures["stops"] += 1
                wait_for(lambda: not up(port), timeout=5, what="the port to close")
                proc = start(config, port, log)
            client.thread.join(60)
            assert client.acked == set(range(TRACES + SPANS))
            wait_for(
                lambda: len(creates(scale.vendor)) >= TRACES and len(creates(tracia.vendor)) >= SPANS and settled(port),
                timeout=60,
                what="every write at both fakes and an empty outbox",
            )
        finally:
            stop(proc, 15)
        figures["seconds"] = round(time.monotonic() - started, 1)
        return scale.vendor, tracia.vendor, figures


def after_creates(n: int):
    """A moment: once the fakes together have received `n` more creates."""

    def wait(scale: FakeVendor, tracia: FakeVendor, proc) -> None:
        target = sum(len(creates(f)) for f in (scale, tracia)) + n
        wait_for(lambda: sum(len(creates(f)) for f in (scale, tracia)) >= target, timeout=30, what=f"{n} more creates")

    return wait


def right_after_a_2xx(fake_name: str):
    """A moment: within a few ms after the next 2xx answer to a create of that fake."""

    def wait(scale: FakeVendor, tracia: FakeVendor, proc) -> None:
        fake = scale if fake_name == "scale" else tracia
        answered = threading.Event()

        def kill_soon(rec) -> None:
            if not answered.is_set():
                answered.set()
                kill = lambda: proc.poll() is None and os.kill(proc.pid, signal.SIGKILL)  # noqa: E731
                threading.Timer(random.uniform(0, 0.004), kill).start()

        fake.answered = kill_soon
        try:
            assert answered.wait(30), "no create answered"
            proc.wait(10)
        finally:
            fake.answered = None

    return wait


def check(scale: FakeVendor, tracia: FakeVendor) -> tuple[int, int]:
    at_scale, at_tracia = creates(scale), creates(tracia)
    assert set(at_scale) == {uuid_of(i) for i in range(TRACES)}  # every acknowledged Scale write arrived
    assert len(at_tracia) == SPANS  # and every Tracia one (one span each)
    return sum(n - 1 for n in at_scale.values()), sum(n - 1 for n in at_tracia.values())


def test_sigterm_mid_delivery_lets_the_creates_in_flight_finish_none_twice_none_lost(tmp_path):
    scale, tracia, figures = run_with_stops(tmp_path, [after_creates(120)], signal.SIGTERM)
    assert check(scale, tracia) == (0, 0), figures
    print(
        f"\nSIGTERM after 120 creates: {TRACES} Scale and {SPANS} Tracia creates, 0 duplicates, 0 lost "
        f"({figures['seconds']} s)"
    )


def test_repeated_sigkills_mid_delivery_scale_never_twice_tracia_within_the_bound(tmp_path):
    random.seed(os.getpid())
    stops = [
        after_creates(random.randint(20, 60)),
        right_after_a_2xx("scale"),
        after_creates(random.randint(20, 60)),
        right_after_a_2xx("tracia"),
        right_after_a_2xx("scale"),
    ]
    scale, tracia, figures = run_with_stops(tmp_path, stops, signal.SIGKILL)
    scale_twice, tracia_twice = check(scale, tracia)
    reads = sum(1 for r in scale.received if r.method == "GET")
    assert scale_twice == 0, figures
    assert tracia_twice <= figures["stops"] * CONCURRENCY, (tracia_twice, figures)
    print(
        f"\n{figures['stops']} SIGKILLs: {TRACES} Scale creates (0 twice, {reads} read-backs), "
        f"{SPANS} Tracia evaluations "
        f"({tracia_twice} twice; bound {figures['stops'] * CONCURRENCY}), {figures['seconds']} s"
    )
