"""Durable delivery under faults: every acknowledged record reaches every mirror, once."""

from __future__ import annotations

import re
import time

import httpx

from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import FAST_DELIVERY as FAST
from tests.conftest import UPSTREAM_HEADERS, settled, wait_for


def trace_scores(n: int, start: int = 0) -> dict:
    return {
        "scores": [
            {
                "id": f"01a20c41-cda1-7a06-b0a1-{i:012x}",
                "name": "accuracy",
                "value": 0.5,
                "source": "sdk",
                "project_name": "p",
            }
            for i in range(start, start + n)
        ]
    }


def opik_to_scale(live_proxy, tmp_path, **delivery):
    return live_proxy(
        [{"from": "opik", "mirrors": ["scale"]}], store=f"sqlite:///{tmp_path}/proxy.db", delivery={**FAST, **delivery}
    )


def put(url: str, body: dict) -> httpx.Response:
    return httpx.put(url + "/api/v1/private/traces/feedback-scores", json=body, timeout=10)


def retries(url: str, upstream: str) -> float:
    text = httpx.get(url + "/metrics").text
    found = re.search(rf'^feedback_proxy_retries_total{{upstream="{upstream}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_mirror_down_then_up_gets_everything_once(live_proxy, tmp_path):
    port = free_port()
    url = live_proxy(
        [{"from": "opik", "mirrors": ["scale"]}],
        upstream_patch={"scale": {"base_url": f"http://127.0.0.1:{port}", "timeout": 1}},
        store=f"sqlite:///{tmp_path}/proxy.db",
        delivery=FAST,
    )
    for i in range(5):
        assert put(url, trace_scores(10, i * 10)).status_code == 204
    wait_for(lambda: retries(url, "scale") >= 1, what="a failed attempt at the mirror while it is down")
    with FakeServer(FakeVendor("scale"), port=port) as late:
        received = wait_for(
            lambda: len(late.vendor.received) >= 50 and late.vendor.received, what="50 creates at the late mirror"
        )
        settled(url)
        ids = [r.body["trace_id"] for r in late.vendor.received]
    assert len(ids) == 50 and len(set(ids)) == 50
    assert all(r.headers["x-api-key"] == UPSTREAM_HEADERS["scale"]["x-api-key"] for r in received)


def test_429_with_retry_after_is_honoured(upstreams, live_proxy, tmp_path):
    url = opik_to_scale(live_proxy, tmp_path)
    upstreams["scale"].fail_next(1, 429, {"detail": "slow down"}, {"Retry-After": "1"})
    started = time.time()
    assert put(url, trace_scores(1)).status_code == 204
    wait_for(lambda: len(upstreams["scale"].received) == 2, what="the retry after 429")
    assert time.time() - started >= 1.0
    assert upstreams["scale"].received[0].body == upstreams["scale"].received[1].body


def test_retry_after_pauses_the_whole_upstream(upstreams, live_proxy, tmp_path):
    """After a 429 with Retry-After: 2 nothing reaches that upstream for 2 s: neither the
    retry, nor the first attempt of the records claimed with it, nor of records accepted
    during the pause."""
    url = opik_to_scale(live_proxy, tmp_path, concurrency=1)
    scale = upstreams["scale"]
    scale.fail_next(1, 429, {"detail": "slow down"}, {"Retry-After": "2"})
    assert put(url, trace_scores(5)).status_code == 204
    wait_for(lambda: scale.received, what="the first create")
    assert put(url, trace_scores(5, 5)).status_code == 204  # accepted while the upstream is paused
    wait_for(lambda: len(scale.assessments) == 10, timeout=15, what="10 assessments at Scale")
    limited, *after = scale.received
    assert len(after) == 10  # the retry of the limited record and the 9 others, each once
    assert min(r.at for r in after) - limited.at >= 2.0, [round(r.at - limited.at, 3) for r in after]
    assert sorted(r.body["trace_id"] for r in after) == sorted(s["id"] for s in trace_scores(10)["scores"])


def test_500s_and_timeouts_are_retried(upstreams, live_proxy, tmp_path):
    """A create that timed out may have arrived: before it is sent again Scale is asked (here it
    has nothing: the slow answer was a fault, never kept)."""
    url = live_proxy(
        [{"from": "opik", "mirrors": ["scale"]}],
        upstream_patch={"scale": {"timeout": 0.3}},
        store=f"sqlite:///{tmp_path}/proxy.db",
        delivery=FAST,
    )
    upstreams["scale"].fail_next(2, 500, {"detail": "boom"})
    upstreams["scale"].fail_next(1, 200, {"assessment_id": "slow"}, delay=1.0)
    assert put(url, trace_scores(1)).status_code == 204
    wait_for(lambda: len(upstreams["scale"].assessments) == 1, what="the assessment")
    assert [r.method for r in upstreams["scale"].received] == ["POST", "POST", "POST", "GET", "POST"]
    read_back = upstreams["scale"].received[3].query
    assert read_back == {"trace_id": trace_scores(1)["scores"][0]["id"], "assessment_type": "metadata"}
    metrics = httpx.get(url + "/metrics").text
    assert 'feedback_proxy_retries_total{upstream="scale"} 3.0' in metrics
    assert 'feedback_proxy_deliveries_total{outcome="delivered",upstream="scale"} 1.0' in metrics


def test_permanent_4xx_is_a_dead_letter_and_replay_delivers_it(upstreams, live_proxy, tmp_path):
    url = opik_to_scale(live_proxy, tmp_path)
    upstreams["scale"].fail_next(
        1, 422, {"detail": [{"type": "missing", "loc": ["body", "trace_id"], "msg": "Field required"}]}
    )
    assert put(url, trace_scores(1)).status_code == 204
    from proxy.store.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path / "proxy.db"))
    (dead,) = wait_for(lambda: store.dead_letters(), what="a dead letter")
    assert dead.upstream == "scale" and "answered 422" in dead.last_error and "Field required" in dead.last_error
    assert len(upstreams["scale"].received) == 1
    assert (
        'feedback_proxy_deliveries_total{outcome="dead_letter",upstream="scale"} 1.0'
        in httpx.get(url + "/metrics").text
    )
    assert store.replay([dead.id]) == 1
    wait_for(lambda: len(upstreams["scale"].received) == 2, what="the replayed delivery")
    assert upstreams["scale"].received[1].body["trace_id"] == "01a20c41-cda1-7a06-b0a1-000000000000"
    wait_for(lambda: store.depth() == {} and store.dead_letters() == [], what="an empty outbox")


def test_a_resent_scale_mirror_record_becomes_a_patch(upstreams, live_proxy, tmp_path):
    url = opik_to_scale(live_proxy, tmp_path)
    assert put(url, trace_scores(1)).status_code == 204
    wait_for(lambda: len(upstreams["scale"].received) == 1)
    body = trace_scores(1)
    body["scores"][0]["value"] = 0.7
    assert put(url, body).status_code == 204
    wait_for(lambda: len(upstreams["scale"].received) == 2)
    first, second = upstreams["scale"].received
    assert first.method == "POST" and second.method == "PATCH"
    (aid,) = upstreams["scale"].assessments
    assert second.path == f"/v5/span-assessments/{aid}"
    assert second.body["metadata"]["value"] == 0.7 and "trace_id" not in second.body


def test_health_and_readiness(live_proxy, tmp_path):
    url = opik_to_scale(live_proxy, tmp_path)
    assert httpx.get(url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(url + "/readyz")
    assert ready.status_code == 200 and ready.json()["store"] == "ok"
