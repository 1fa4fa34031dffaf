"""Records the primary cannot hold: refused whole with the route default
(`untranslatable: reject`), sent without them with `untranslatable: drop`. What the primary
can carry another way is neither: an Opik trace at Tracia is its spans, and a trace score
goes to the trace's root span there."""

from __future__ import annotations

import re

import httpx
import pytest

from proxy import ids
from tests.conftest import parked, settled, wait_for
from tests.integration.shapes import UUID7, opik_errors, scale_detail, send, send_valid

THREAD_SCORES = (
    "PUT",
    "/api/v1/private/traces/threads/feedback-scores",
    {"scores": [{"thread_id": "thread-1", "name": "accuracy", "value": 1, "source": "sdk"}]},
)
TRACE_SCORES = (
    "PUT",
    "/api/v1/private/traces/feedback-scores",
    {"scores": [{"id": UUID7, "name": "accuracy", "value": 1, "source": "sdk"}]},
)
OVERWRITE = (
    "POST",
    "/v5/span-assessments",
    {"assessment_type": "overwrite", "trace_id": "t-1", "span_id": "s-1", "overwrite": {"output": "fixed"}},
)


def test_rejected_opik_scores_are_opik_validation_errors(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["opik"]}])
    assert opik_errors(send(url, "opik", *THREAD_SCORES)) == [
        "the primary upstream 'tracia' (tracia) cannot take 1 record(s): Tracia has no thread (session) evaluations"
    ]
    settled(url)
    assert all(not fake.received for fake in upstreams.values())  # refused whole: the mirror gets nothing either


def test_dropped_opik_scores_are_a_204_and_the_mirror_still_gets_them(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["opik"], "untranslatable": "drop"}])
    resp = send(url, "opik", *THREAD_SCORES)
    assert (resp.status_code, resp.content) == (204, b"")
    [mirrored] = wait_for(lambda: upstreams["opik"].received, what="the Opik mirror")
    assert (mirrored.path, mirrored.body) == (
        "/api/v1/private/traces/threads/feedback-scores",
        {"scores": [{"thread_id": "thread-1", "name": "accuracy", "value": 1, "source": "sdk"}]},
    )
    assert upstreams["tracia"].received == []


@pytest.mark.parametrize("policy", ["reject", "drop"])
def test_a_trace_score_waits_for_the_root_span_tracia_evaluates_it_on(live_proxy, upstreams, policy, caplog):
    """Not untranslatable, whatever the policy: answered 204, held until the proxy has seen a
    span of the trace with no parent, then sent to Tracia as that span's evaluation."""
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "opik", "primary": "tracia", "untranslatable": policy}])
    resp = send(url, "opik", *TRACE_SCORES)
    assert (resp.status_code, resp.content) == (204, b"")
    parked(caplog, url, tracia=1)
    assert upstreams["tracia"].received == []  # no span of the trace yet: nothing to evaluate
    root = "01a20c41-cda2-71b4-9594-4a914fb72968"
    spans = {
        "spans": [
            {
                "id": root,
                "trace_id": UUID7,
                "name": "llm",
                "start_time": "2025-01-01T00:00:00.000Z",
                "end_time": "2025-01-01T00:00:00.250Z",
                "model": "gpt-4o",
            }
        ]
    }
    assert send(url, "opik", "POST", "/api/v1/private/spans/batch", spans).status_code == 204
    sp = "sp_" + ids.derived_hex("feedback-proxy", f"opik:{root}")
    evaluated = wait_for(lambda: upstreams["tracia"].bodies("POST", r"/evaluations$"), what="the trace score at Tracia")
    assert evaluated == [{"evaluatorKey": "accuracy", "value": 1}]
    assert [(r.method, r.path) for r in upstreams["tracia"].received] == [
        ("POST", "/api/v1/spans"),
        ("POST", f"/api/v1/spans/{sp}/evaluations"),
    ]


def test_a_tracia_evaluation_waits_for_its_span_before_a_scale_primary(live_proxy, upstreams, caplog):
    """Scale needs the span's trace id, which the evaluation does not carry: the record
    waits in the outbox for the span (park_ttl), the client is answered, mirrors go on."""
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "tracia", "primary": "scale", "mirrors": ["opik"]}])
    resp = send_valid(url, "tracia")
    assert resp.status_code == 200
    body = resp.json()
    assert re.fullmatch(r"eval_[0-9a-f]{16}", body.pop("id")) and re.fullmatch(
        r"\d{4}-\d\d-\d\dT[\d:.]+Z", body.pop("createdAt")
    )
    assert body.pop("note", None) is None
    assert body == {"evaluatorKey": "quality", "evaluatorName": "Quality", "value": 1, "source": "api"}
    [mirrored] = wait_for(lambda: upstreams["opik"].received, what="the Opik mirror")
    assert mirrored.path == "/api/v1/private/spans/feedback-scores"
    assert [(s["name"], s["value"]) for s in mirrored.body["scores"]] == [("quality", 1)]
    parked(caplog, url, scale=1)
    assert upstreams["scale"].received == []


def test_a_record_the_primary_can_never_hold_is_rejected_or_dropped(live_proxy, upstreams):
    comment = {"text": "a comment Tracia has no place for"}
    path = "/api/v1/private/spans/01a20c41-cda2-71b4-9594-4a914fb72968/comments"
    rejecting = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["scale"]}])
    resp = httpx.post(rejecting + path, json=comment)
    assert (resp.status_code, resp.json()) == (
        422,
        {
            "errors": [
                "the primary upstream 'tracia' (tracia) cannot take 1 record(s): "
                "Tracia has no comments; only an evaluation's note"
            ]
        },
    )
    settled(rejecting)
    assert all(not fake.received for fake in upstreams.values())

    dropping = live_proxy([{"from": "opik", "primary": "tracia", "mirrors": ["opik"], "untranslatable": "drop"}])
    assert httpx.post(dropping + path, json=comment).status_code == 201
    [mirrored] = wait_for(lambda: upstreams["opik"].received, what="the Opik mirror")
    assert (mirrored.path, mirrored.body) == (path, comment)
    assert upstreams["tracia"].received == []


@pytest.mark.parametrize("policy", ["reject", "drop"])
def test_a_scale_overwrite_opik_cannot_hold(live_proxy, upstreams, policy):
    url = live_proxy([{"from": "scale", "primary": "opik", "untranslatable": policy}])
    resp = send(url, "scale", *OVERWRITE)
    if policy == "reject":
        assert (
            scale_detail(resp, 422)
            == "the primary upstream 'opik' (opik) cannot take 1 record(s): opik spans_scores needs a record with "
            "value present"
        )
    else:
        assert resp.status_code == 200
        body = resp.json()
        assert {k: body[k] for k in ("assessment_type", "trace_id", "span_id", "overwrite")} == {
            "assessment_type": "overwrite",
            "trace_id": "t-1",
            "span_id": "s-1",
            "overwrite": {"output": "fixed"},
        }
    assert upstreams["opik"].received == []
