"""Routing: a client vendor with no route, the Opik health check answered locally,
and paths that carry no feedback passed through to a primary of the same vendor."""

from __future__ import annotations

import gzip
import json

import pytest

from proxy.app import create_app
from proxy.config import Config
from proxy.store import MemoryStore
from proxy.testing import FakeServer
from tests.conftest import FAST_DELIVERY, VENDORS, upstream_config, wait_for
from tests.integration.shapes import error_of, send, send_valid

TRACE_BATCH = {
    "traces": [
        {
            "id": "01a2105d-41f8-77e4-83f2-4905344d3b48",
            "name": "t",
            "start_time": "2026-01-15T10:30:00.000000Z",
            "project_name": "p",
            "input": {"q": "2+2?"},
        }
    ]
}


@pytest.mark.parametrize("vendor, routed", [(v, VENDORS[(i + 1) % len(VENDORS)]) for i, v in enumerate(VENDORS)])
def test_a_vendor_without_a_route_is_a_404_in_its_shape(live_proxy, upstreams, vendor, routed):
    url = live_proxy([{"from": routed, "primary": routed}])
    message = error_of(vendor, send_valid(url, vendor), 404)
    assert message == f"feedback-proxy has no route for {vendor} clients; add one under routes: in the config"
    assert all(not fake.received for fake in upstreams.values())


@pytest.mark.parametrize("prefix", ["", "/api", "/opik/api"])
@pytest.mark.parametrize("routes", [[], [{"from": "opik", "primary": "opik"}]], ids=["no routes", "opik primary"])
def test_the_opik_health_check_is_answered_locally(live_proxy, upstreams, prefix, routes):
    resp = send(live_proxy(routes), "opik", "GET", f"{prefix}/is-alive/ping")
    assert (resp.status_code, resp.json()) == (200, {"healthy": True})
    assert upstreams["opik"].received == []


@pytest.mark.parametrize("prefix", ["", "/api", "/opik/api"])
def test_an_opik_trace_batch_passes_through_verbatim(live_proxy, upstreams, prefix):
    url = live_proxy([{"from": "opik", "primary": "opik", "mirrors": ["scale"]}])
    raw = json.dumps(TRACE_BATCH).encode()
    resp = send(
        url,
        "opik",
        "POST",
        f"{prefix}/v1/private/traces/batch",
        content=gzip.compress(raw),
        **{"content-encoding": "gzip", "x-opik-client-id": "abc123"},
    )
    assert (resp.status_code, resp.content) == (204, b"")
    [got] = upstreams["opik"].received
    assert (got.method, got.path, got.body) == ("POST", "/api/v1/private/traces/batch", TRACE_BATCH)
    assert (got.headers["content-encoding"], got.headers["x-opik-client-id"]) == ("gzip", "abc123")
    assert upstreams["scale"].received == []


def test_a_pass_through_answer_comes_back_unchanged(live_proxy, upstreams):
    url = live_proxy([{"from": "opik", "primary": "opik"}])
    upstreams["opik"].fail_next(1, 409, {"errors": ["Trace already exists"]}, {"x-request-id": "r-1"})
    resp = send(url, "opik", "POST", "/api/v1/private/traces", TRACE_BATCH["traces"][0])
    assert (resp.status_code, resp.json(), resp.headers["x-request-id"]) == (
        409,
        {"errors": ["Trace already exists"]},
        "r-1",
    )
    assert resp.headers.get_list("date") and len(resp.headers.get_list("date")) == 1

    resp = send(url, "opik", "GET", "/api/v1/private/projects?name=p%201&page=2")
    assert (resp.status_code, resp.json()) == (404, {"code": 404, "message": "HTTP 404 Not Found"})
    assert (upstreams["opik"].received[-1].path, upstreams["opik"].received[-1].query) == (
        "/api/v1/private/projects",
        {"name": "p 1", "page": "2"},
    )


def test_tracia_and_scale_paths_without_feedback_pass_through(live_proxy, upstreams):
    url = live_proxy([{"from": "tracia", "primary": "tracia"}, {"from": "scale", "primary": "scale"}])
    span = {
        "spanId": "sp_00000000000000aa",
        "traceId": "tr_00000000000000bb",
        "model": "gpt-4o",
        "provider": "openai",  # a whole CreateSpanPayload:
        "input": {"messages": []},
        "status": "SUCCESS",
        "latencyMs": 1,
        "inputTokens": 0,
        "outputTokens": 0,
        "totalTokens": 0,
    }  # it is decoded now
    resp = send(url, "tracia", "POST", "/api/v1/spans", span)
    assert resp.status_code == 200
    body = resp.json()
    assert (body["spanId"], body["traceId"]) == ("sp_00000000000000aa", "tr_00000000000000bb") and body[
        "id"
    ].startswith("span_fake")
    assert upstreams["tracia"].received[0].body == span

    resp = send(url, "scale", "GET", "/v5/spans/span-1")
    assert (resp.status_code, resp.json()) == (
        404,
        {"detail": "Span not found"},
    )  # the fake Scale's own answer: it has no span-1
    assert upstreams["scale"].received[0].path == "/v5/spans/span-1"


def test_reads_through_a_same_vendor_primary_are_not_mirrored(fakes, upstreams, mappings):
    cfg = Config.model_validate(
        {
            "upstreams": upstream_config(fakes),
            "routes": [{"from": "scale", "primary": "scale", "mirrors": ["opik", "tracia"]}],
            "delivery": FAST_DELIVERY,
        }
    )
    app = create_app(cfg, mappings=mappings, store=MemoryStore())
    with FakeServer(app) as server:
        made = send(
            server.url,
            "scale",
            "POST",
            "/v5/span-assessments",
            {"assessment_type": "rating", "trace_id": "trace-1", "span_id": "span-1", "rating": 2},
        ).json()
        assert send(server.url, "scale", "GET", f"/v5/span-assessments/{made['assessment_id']}").json() == made
        assert send(server.url, "scale", "GET", "/v5/span-assessments?trace_id=trace-1").json()["items"] == [made]
        wait_for(lambda: upstreams["opik"].received and upstreams["tracia"].received, what="both mirrors of the create")
    store = app.state.proxy.store
    assert store.depth() == {} and store.dead_letters() == []  # neither mirror was handed the reads
    assert [r.method for r in upstreams["scale"].received] == ["POST", "GET", "GET"]
    assert (len(upstreams["opik"].received), len(upstreams["tracia"].received)) == (1, 1)
