"""Records the primary cannot hold: refused whole with the route default
(`untranslatable: reject`), sent without them with `untranslatable: drop`."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.conftest import wait_for
from tests.integration.shapes import UUID7, opik_errors, scale_detail, send, send_valid, tracia_error

TRACE_SCORES = ("PUT", "/api/v1/private/traces/feedback-scores", {"scores": [{"id": UUID7, "name": "accuracy", "value": 1, "source": "sdk"}]})
OVERWRITE = ("POST", "/v5/span-assessments", {"assessment_type": "overwrite", "trace_id": "t-1", "span_id": "s-1", "overwrite": {"output": "fixed"}})


def test_rejected_opik_scores_are_opik_validation_errors(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["scale"]}])
    assert opik_errors(send(url, "opik", *TRACE_SCORES)) == [
        "the primary upstream 'tracia' (tracia) cannot take 1 record(s): Tracia evaluates spans only; a trace-level score has no target"]
    time.sleep(0.2)
    assert all(not fake.received for fake in upstreams.values())  # refused whole: the mirror gets nothing either


def test_dropped_opik_scores_are_a_204_and_the_mirror_still_gets_them(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["scale"], "untranslatable": "drop"}])
    resp = send(url, "opik", *TRACE_SCORES)
    assert (resp.status_code, resp.content) == (204, b"")
    [mirrored] = wait_for(lambda: upstreams["scale"].received, what="the Scale mirror")
    assert mirrored.body == {"trace_id": UUID7, "assessment_type": "metadata", "metadata": {"name": "accuracy", "value": 1, "source": "sdk"}}
    assert upstreams["tracia"].received == []


def test_a_tracia_evaluation_waits_for_its_span_before_a_scale_primary(live_proxy, upstreams):
    """Scale needs the span's trace id, which the evaluation does not carry: the record
    waits in the outbox for the span (park_ttl), the client is answered, mirrors go on."""
    url = live_proxy([{"from": "tracia", "primary": "scale", "mirrors": ["opik"]}])
    resp = send_valid(url, "tracia")
    assert resp.status_code == 200
    body = resp.json()
    assert re.fullmatch(r"eval_[0-9a-f]{16}", body.pop("id")) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", body.pop("createdAt"))
    assert body.pop("note", None) is None
    assert body == {"evaluatorKey": "quality", "evaluatorName": "Quality", "value": 1, "source": "api"}
    [mirrored] = wait_for(lambda: upstreams["opik"].received, what="the Opik mirror")
    assert mirrored.path == "/api/v1/private/spans/feedback-scores"
    assert [(s["name"], s["value"]) for s in mirrored.body["scores"]] == [("quality", 1)]
    time.sleep(0.3)
    assert upstreams["scale"].received == []


def test_a_record_the_primary_can_never_hold_is_rejected_or_dropped(live_proxy, upstreams):
    trace_score = {"scores": [{"id": "01a20c41-cda1-7a06-b0a1-c98960495513", "name": "a", "value": 1, "source": "sdk"}]}
    rejecting = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["scale"]}])
    resp = httpx.put(rejecting + "/api/v1/private/traces/feedback-scores", json=trace_score)
    assert (resp.status_code, resp.json()) == (422, {"errors": [
        "the primary upstream 'tracia' (tracia) cannot take 1 record(s): Tracia evaluates spans only; a trace-level score has no target"]})
    time.sleep(0.2)
    assert all(not fake.received for fake in upstreams.values())

    dropping = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["scale"], "untranslatable": "drop"}])
    assert httpx.put(dropping + "/api/v1/private/traces/feedback-scores", json=trace_score).status_code == 204
    [mirrored] = wait_for(lambda: upstreams["scale"].received, what="the Scale mirror")
    assert mirrored.body["trace_id"] == "01a20c41-cda1-7a06-b0a1-c98960495513"
    assert upstreams["tracia"].received == []


@pytest.mark.parametrize("policy", ["reject", "drop"])
def test_a_scale_overwrite_opik_cannot_hold(live_proxy, upstreams, policy):
    url = live_proxy([{"from": "scale", "primary": "opik", "untranslatable": policy}])
    resp = send(url, "scale", *OVERWRITE)
    if policy == "reject":
        assert scale_detail(resp, 422) == "the primary upstream 'opik' (opik) cannot take 1 record(s): opik spans_scores needs a record with value present"
    else:
        assert resp.status_code == 200
        body = resp.json()
        assert {k: body[k] for k in ("assessment_type", "trace_id", "span_id", "overwrite")} == {
            "assessment_type": "overwrite", "trace_id": "t-1", "span_id": "s-1", "overwrite": {"output": "fixed"}}
    assert upstreams["opik"].received == []

