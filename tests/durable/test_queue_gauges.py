"""The queue gauges have a sample for every configured upstream, 0 while nothing waits for it
(a dashboard shows 0, not "no data"), and the count while something does."""

from __future__ import annotations

import httpx

from tests.conftest import FAST_DELIVERY, VENDORS, wait_for


def gauges(url: str) -> dict[str, float]:
    out = {}
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(("feedback_proxy_queue_depth{", "feedback_proxy_queue_oldest_seconds{")):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_queue_gauges_are_0_per_upstream_while_the_outbox_is_empty(upstreams, live_proxy):
    url = live_proxy(
        [{"from": "opik", "mirrors": ["scale"]}], delivery={**FAST_DELIVERY, "retry": {"initial_interval": 30}}
    )
    empty = {f'feedback_proxy_queue_{g}{{upstream="{u}"}}': 0.0 for g in ("depth", "oldest_seconds") for u in VENDORS}
    assert gauges(url) == empty
    upstreams["scale"].fail_next(1, 503, {"detail": "later"})  # the record waits, retried in 30 s
    score = {
        "scores": [
            {
                "id": "01a20c41-cda1-7a06-b0a1-000000000001",
                "name": "q",
                "value": 1,
                "source": "sdk",
                "project_name": "p",
            }
        ]
    }
    assert httpx.put(url + "/api/v1/private/traces/feedback-scores", json=score).status_code == 204
    wait_for(lambda: upstreams["scale"].received, what="the mirror's first attempt")
    depth = 'feedback_proxy_queue_depth{{upstream="{}"}}'.format
    waiting = wait_for(lambda: (g := gauges(url))[depth("scale")] == 1.0 and g, what="one record waiting")
    assert waiting[depth("opik")] == 0.0 and waiting[depth("tracia")] == 0.0
    assert waiting['feedback_proxy_queue_oldest_seconds{upstream="scale"}'] > 0
