"""feedback_proxy_delivery_lag_seconds{upstream}: from a record's acceptance to its delivery
acknowledged by the mirror, retries included (README, Observability)."""

from __future__ import annotations

import time

import httpx

from tests.conftest import wait_for

LAG = "feedback_proxy_delivery_lag_seconds"
RETRY_AFTER_S = 1  # the mirror's first answer is a 503 with this Retry-After: the record is tried again no sooner
SCORE = {"id": "01a20c41-cda1-7a06-b0a1-000000000002", "name": "q", "value": 1, "source": "sdk", "project_name": "p"}


def lag_samples(url: str) -> dict[str, float]:
    out = {}
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(LAG):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_a_mirrored_record_s_lag_from_acceptance_to_delivery_is_observed_retry_included(upstreams, live_proxy):
    url = live_proxy([{"from": "opik", "mirrors": ["scale"]}])
    upstreams["scale"].fail_next(1, 503, {"detail": "later"}, {"retry-after": str(RETRY_AFTER_S)})
    sent_at = time.time()
    resp = httpx.put(url + "/api/v1/private/traces/feedback-scores", json={"scores": [SCORE]})
    assert resp.status_code == 204
    count = f'{LAG}_count{{upstream="scale"}}'
    samples = wait_for(lambda: (s := lag_samples(url)).get(count) == 1.0 and s, what="one delivery observed")
    elapsed = time.time() - sent_at
    assert [r.path for r in upstreams["scale"].received] == ["/v5/span-assessments"] * 2  # refused, then taken
    # from acceptance, not from the last attempt: the Retry-After's wait is in it; and no more than the test waited
    assert RETRY_AFTER_S <= samples[f'{LAG}_sum{{upstream="scale"}}'] < elapsed

    def bucket(le: str) -> float:
        return samples[f'{LAG}_bucket{{le="{le}",upstream="scale"}}']

    assert bucket("0.005") == bucket("0.75") == 0.0 and bucket("60.0") == bucket("+Inf") == 1.0
    assert not any('upstream="opik"' in name for name in samples)  # nothing was mirrored to Opik
