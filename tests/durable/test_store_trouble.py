"""A store in trouble: locked by another process past its busy timeout, or refusing writes
(the disk full). The delivery worker's rounds fail, are logged and tried again; /readyz says
not ready meanwhile (and answers within a second), /metrics and /ui name the stalled worker;
once the store works again deliveries resume, and readiness returns, by themselves."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx

from proxy.app import create_app
from proxy.config import Config
from proxy.store.sqlite import SQLiteStore
from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import FAST_DELIVERY, VENDORS, upstream_config, wait_for

ADMIN_KEY = "admin-key-0123456789"
PUT = "/api/v1/private/traces/feedback-scores"
LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def scores(n: int) -> dict:
    return {
        "scores": [
            {"id": f"01a20c41-cda1-7a06-b0a1-{i:012x}", "name": "accuracy", "value": 0.5, "source": "sdk"}
            for i in range(n)
        ]
    }


def timed_get(url: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.get(url, timeout=5, headers={"X-Admin-Key": ADMIN_KEY})
    return r, time.monotonic() - started


def test_a_store_locked_past_its_busy_timeout_stalls_deliveries_visibly_and_they_resume_by_themselves(
    live_proxy, tmp_path
):
    db, port = tmp_path / "proxy.db", free_port()
    url = live_proxy(
        [{"from": "opik", "mirrors": ["scale"]}],
        upstream_patch={"scale": {"base_url": f"http://127.0.0.1:{port}", "timeout": 1}},
        store=f"sqlite:///{db}",
        store_busy_timeout=2,
        delivery=FAST_DELIVERY,
        admin={"key": ADMIN_KEY},
    )
    r = httpx.put(url + PUT, json=scores(10), timeout=10)
    assert r.status_code == 204  # acknowledged: queued for Scale, which is down for now
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout.readline().strip() == "locked"
        # a write meanwhile waits its busy timeout (2 s), then is refused: the event loop is not held meanwhile
        refused = []
        writer = threading.Thread(
            target=lambda: refused.append(httpx.put(url + PUT, json=scores(20), timeout=10).status_code)
        )
        writer.start()
        answers = []

        def not_ready():
            for path in ("/healthz", "/readyz"):
                r, took = timed_get(url + path)
                answers.append((path, r.status_code, round(took, 3)))
            return r.status_code == 503 and r.json()["workers"]["scale"] != "ok" and r

        ready = wait_for(not_ready, timeout=15, what="/readyz to say the scale worker cannot work").json()
        assert "locked" in ready["workers"]["scale"] and "locked" in ready["store"], ready
        writer.join(10)
        assert refused == [503]
        assert max(took for _, _, took in answers) < 1.0, answers
        assert all(status == 200 for path, status, _ in answers if path == "/healthz"), answers
        assert 'feedback_proxy_worker_up{upstream="scale"} 0.0' in httpx.get(url + "/metrics", timeout=10).text
        (scale,) = [u for u in timed_get(url + "/ui/api/status")[0].json()["upstreams"] if u["name"] == "scale"]
        assert "locked" in scale["worker_problem"]
        with FakeServer(FakeVendor("scale"), port=port) as fake:
            locker.stdin.write("\n")  # the other process lets go
            locker.stdin.flush()
            assert locker.wait(10) == 0
            wait_for(lambda: len(fake.vendor.assessments) == 10, timeout=20, what="the 10 queued writes at Scale")
            arrived = sorted(r.body["trace_id"] for r in fake.vendor.received if r.method == "POST")
            assert arrived == sorted(s["id"] for s in scores(10)["scores"])
            ok = wait_for(
                lambda: (r := httpx.get(url + "/readyz", timeout=5)).status_code == 200 and r,
                what="/readyz ready again",
            )
            workers = dict.fromkeys(VENDORS, "ok")  # every upstream of the suite: one per vendor folder
            assert ok.json() == {"status": "ok", "store": "ok", "workers": workers}
            assert 'feedback_proxy_worker_up{upstream="scale"} 1.0' in httpx.get(url + "/metrics", timeout=10).text
    finally:
        if locker.poll() is None:
            locker.kill()


def test_a_store_refusing_writes_is_not_ready_until_a_write_goes_through_again(fakes, upstreams, mappings, tmp_path):
    """The disk full: every write is refused (503, nothing acknowledged) and /readyz says not
    ready, so a load balancer sends the traffic elsewhere; once there is room it is ready again
    by itself (its probe writes), with no request needed to find out."""
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    cfg = Config.model_validate(
        {
            "upstreams": upstream_config(fakes),
            "delivery": FAST_DELIVERY,
            "routes": [{"from": "opik", "mirrors": ["scale"]}],
        }
    )
    try:
        with FakeServer(create_app(cfg, mappings=mappings, store=store)) as server:
            url = server.url + PUT
            assert httpx.put(url, json=scores(1), timeout=10).status_code == 204
            assert httpx.get(server.url + "/readyz", timeout=5).status_code == 200
            with store._lock:  # no page more: what a full disk does to SQLite (SQLITE_FULL)
                pages = store._db.execute("PRAGMA page_count").fetchone()[0]
                store._db.execute(f"PRAGMA max_page_count={pages}")
            big = {"scores": [{**s, "reason": "x" * 2000} for s in scores(200)["scores"]]}
            refused = httpx.put(url, json=big, timeout=10)
            assert refused.status_code == 503, refused.text
            r, took = timed_get(server.url + "/readyz")
            assert r.status_code == 503 and "full" in r.json()["store"] and took < 1.0, (r.json(), took)
            with store._lock:  # room again
                store._db.execute("PRAGMA max_page_count=1073741823")
            wait_for(
                lambda: httpx.get(server.url + "/readyz", timeout=5).status_code == 200, what="/readyz ready again"
            )
            assert httpx.put(url, json=big, timeout=10).status_code == 204
            # what was acknowledged, at Scale: trace 0's score twice (the second an update of the first), 199 others
            wait_for(lambda: len(upstreams["scale"].assessments) == 200, what="what was acknowledged, at Scale")
    finally:
        store.close()
