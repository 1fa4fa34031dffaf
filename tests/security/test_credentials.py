"""Upstream credentials come from the config only. A client's own vendor credentials
reach a same-vendor primary only on a route with `forward_client_credentials: true`
(multi-tenant pass-through), and never a mirror or a primary of another vendor."""

from __future__ import annotations

import pytest

from proxy import config as config_mod
from proxy.errors import ConfigError
from tests.conftest import UPSTREAM_KEYS, wait_for
from tests.security.conftest import HTTP, UUID7

TENANT_A = "tenant-a-own-opik-key-000111"
TENANT_B = "tenant-b-own-opik-key-222333"
TENANTS = [{"name": "tenant-a", "key": TENANT_A}, {"name": "tenant-b", "key": TENANT_B}]
SCORE = {"scores": [{"id": UUID7, "name": "accuracy", "value": 1, "source": "sdk"}]}


def test_a_tenants_own_key_and_workspace_reach_a_same_vendor_primary(secure_proxy, upstreams):
    url = secure_proxy(
        routes=[{"from": "opik", "primary": "opik", "mirrors": ["scale"], "forward_client_credentials": True}],
        clients=TENANTS,
    ).url
    for key, workspace in ((TENANT_A, "ws-a"), (TENANT_B, "ws-b")):
        resp = HTTP.put(
            url + "/api/v1/private/traces/feedback-scores",
            json=SCORE,
            headers={"Authorization": key, "Comet-Workspace": workspace},
        )
        assert resp.status_code == 204, resp.text
    resp = HTTP.get(
        url + "/api/v1/private/projects", headers={"Authorization": TENANT_A}
    )  # no feedback in it: passed through
    assert resp.status_code == 404  # the fake's own answer
    a, b, batch = upstreams["opik"].received
    assert (a.headers["authorization"], a.headers["comet-workspace"]) == (TENANT_A, "ws-a")
    assert (b.headers["authorization"], b.headers["comet-workspace"]) == (TENANT_B, "ws-b")
    assert (batch.path, batch.headers["authorization"], batch.headers["comet-workspace"]) == (
        "/api/v1/private/projects",
        TENANT_A,
        "default",
    )  # the config fills what is missing
    assert all(UPSTREAM_KEYS["opik"] not in v for r in (a, b, batch) for v in r.headers.values())
    mirrored = wait_for(lambda: upstreams["scale"].received, what="the Scale mirror")
    for r in mirrored:  # a mirror always gets its own configured credentials
        assert r.headers["x-api-key"] == UPSTREAM_KEYS["scale"]
        assert all(t not in v for t in (TENANT_A, TENANT_B) for v in r.headers.values())


def test_without_the_flag_the_configured_credentials_replace_the_clients(secure_proxy, upstreams):
    url = secure_proxy(routes=[{"from": "opik", "primary": "opik"}], clients=TENANTS).url
    assert (
        HTTP.put(
            url + "/api/v1/private/traces/feedback-scores",
            json=SCORE,
            headers={"Authorization": TENANT_A, "Comet-Workspace": "ws-a"},
        ).status_code
        == 204
    )
    [got] = upstreams["opik"].received
    assert (got.headers["authorization"], got.headers["comet-workspace"]) == (UPSTREAM_KEYS["opik"], "default")
    assert all(TENANT_A not in v for v in got.headers.values())


def test_the_flag_does_nothing_for_a_client_of_another_vendor(secure_proxy, upstreams):
    url = secure_proxy(routes=[{"from": "*", "primary": "opik", "forward_client_credentials": True}], clients=None).url
    resp = HTTP.post(
        url + "/api/v1/spans/sp_0123456789abcdef/evaluations",
        json={"evaluatorKey": "q", "value": 1},
        headers={"Authorization": "Bearer tr_client_own_key_4444"},
    )
    assert resp.status_code == 200, resp.text
    [got] = upstreams["opik"].received  # translated: the upstream's own credentials
    assert got.headers["authorization"] == UPSTREAM_KEYS["opik"] and "tr_client_own_key_4444" not in str(got.headers)


def test_an_anonymous_caller_without_a_key_does_not_borrow_the_configured_one(secure_proxy, upstreams):
    url = secure_proxy(
        routes=[{"from": "opik", "primary": "opik", "forward_client_credentials": True}], clients=None
    ).url
    HTTP.put(url + "/api/v1/private/traces/feedback-scores", json=SCORE)
    [got] = upstreams["opik"].received
    assert "authorization" not in got.headers and got.headers["comet-workspace"] == "default"


def test_a_rejected_forwarded_key_is_the_vendors_answer_without_the_key_in_it(secure_proxy, upstreams, fakes):
    """The upstream's own 401 for a tenant key the vendor does not know: the answer keeps its
    status (4xx from a forwarded primary go back as they are), and holds no key."""
    url = secure_proxy(
        routes=[{"from": "opik", "primary": "opik", "forward_client_credentials": True}], clients=TENANTS
    ).url
    fakes["opik"].vendor.fail_next(1, 401, {"code": 401, "message": f"API key {TENANT_A} is not valid"})
    resp = HTTP.put(url + "/api/v1/private/traces/feedback-scores", json=SCORE, headers={"Authorization": TENANT_A})
    assert resp.status_code == 401 and TENANT_A not in resp.text
    assert resp.json() == {"code": 401, "message": "API key [redacted] is not valid"}


@pytest.mark.parametrize(
    "route,message",
    [
        ("{from: opik, forward_client_credentials: true}", "the route has no primary to forward them to"),
    ],
)
def test_a_flag_that_cannot_work_is_a_config_error_with_its_line(tmp_path, route, message):
    path = tmp_path / "c.yaml"
    path.write_text(f"upstreams:\n  opik: {{vendor: opik, base_url: 'http://127.0.0.1:9/api'}}\nroutes:\n  - {route}\n")
    with pytest.raises(ConfigError) as err:
        config_mod.load(path)
    assert err.value.message.startswith(f"{path}:4:") and message in err.value.message
