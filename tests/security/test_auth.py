"""Only known callers get in: every ingress endpoint of every vendor (read from the
mappings, under every path prefix) answers 401 without a key, with a wrong key or
with a key in the wrong form, 403 with a key for another route, each in that
vendor's own error shape, and nothing reaches any upstream. The right key, in the
vendor's own header, gets through."""

from __future__ import annotations

import pytest

from tests.conftest import UPSTREAM_HEADERS, VENDORS
from tests.security.conftest import (
    APP_KEYS,
    HTTP,
    MAPPINGS,
    OTHER_APP,
    OWN_APP,
    ROUTES,
    WRONG_KEY,
    assert_shape,
    is_open,
    key_headers,
    operations,
)

OPERATIONS = operations()
# Primaries only: nothing reaches an upstream later (a mirror would), so "nothing was
# sent" is true the moment the answer is in.
PRIMARIES_ONLY = [{k: v for k, v in r.items() if k != "mirrors"} for r in ROUTES]


@pytest.fixture(scope="module")
def proxy(module_proxy):
    return module_proxy(PRIMARIES_ONLY)


@pytest.fixture
def url(proxy):
    return proxy.url


@pytest.fixture
def received(private_fakes):
    """What the module proxy's upstreams received, emptied before each test."""
    for s in private_fakes.values():
        s.vendor.received.clear()
        s.vendor.assessments.clear()
    return {v: s.vendor for v, s in private_fakes.items()}


def call(url: str, method: str, path: str, headers: dict, body: bytes = b"{}"):
    return HTTP.request(
        method,
        url + path,
        headers={"content-type": "application/json", **headers},
        content=body if method not in ("GET", "DELETE") else None,
    )


def nothing_sent(received) -> None:
    assert {v: len(f.received) for v, f in received.items()} == {v: 0 for v in VENDORS}


def test_every_endpoint_of_every_mapping_is_in_the_matrix():
    declared = {(v, n) for v, m in MAPPINGS.items() for n in m.endpoints}
    assert {(v, n) for v, n, *_ in OPERATIONS} == declared
    assert len(OPERATIONS) == sum(len(m.endpoints) * len(m.spec.prefixes) for m in MAPPINGS.values()) >= 45


@pytest.mark.parametrize(
    "vendor,endpoint,prefix,method,path",
    [op for op in OPERATIONS if not is_open(op[0], op[1])],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_no_key_a_wrong_key_or_another_routes_key_is_refused_in_the_vendors_shape(
    url, received, vendor, endpoint, prefix, method, path
):
    auth = MAPPINGS[vendor].spec.auth
    header = auth.header
    refused = {
        "no key": ({}, 401),
        "empty key": ({header: ""}, 401),
        "wrong key": (key_headers(vendor, WRONG_KEY), 401),
        "right key, wrong header": (
            {("x-api-key" if header.lower() == "authorization" else "authorization"): APP_KEYS[OWN_APP[vendor]]},
            401,
        ),
        "another route's key": (key_headers(vendor, APP_KEYS[OTHER_APP[vendor]]), 403),
    }
    if auth.scheme:
        refused["right key without its scheme"] = ({header: APP_KEYS[OWN_APP[vendor]]}, 401)
    else:
        refused["right key with a scheme the SDK never sends"] = ({header: f"Bearer {APP_KEYS[OWN_APP[vendor]]}"}, 401)
    if vendor != "tracia":
        refused["a key for another vendor format only"] = (key_headers(vendor, APP_KEYS["tracia-only"]), 403)
    for case, (headers, status) in refused.items():
        resp = call(url, method, path, headers)
        message = assert_shape(vendor, resp, status)
        assert WRONG_KEY not in resp.text and all(k not in resp.text for k in APP_KEYS.values()), (case, resp.text)
        if status == 401:
            assert message in (
                "API key is not valid",
                f"API key should be provided ({_title(header)}: {auth.scheme + ' ' if auth.scheme else ''}<key>)",
            ), (case, message)
        else:
            assert message.startswith("client '") and "may not use" in message, (case, message)
    nothing_sent(received)


@pytest.mark.parametrize(
    "vendor,endpoint,prefix,method,path",
    [op for op in OPERATIONS if not is_open(op[0], op[1])],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_the_right_key_in_the_vendors_own_header_gets_through(url, received, vendor, endpoint, prefix, method, path):
    for client in (OWN_APP[vendor], "ops"):
        resp = call(url, method, path, key_headers(vendor, APP_KEYS[client]))
        assert resp.status_code < 500 and resp.status_code not in (401, 403), (client, resp.status_code, resp.text)


@pytest.mark.parametrize("vendor,endpoint,prefix,method,path", [op for op in OPERATIONS if is_open(op[0], op[1])])
def test_a_vendors_ping_stays_open_as_the_vendor_s_own_does(url, received, vendor, endpoint, prefix, method, path):
    resp = HTTP.request(method, url + path)
    expected = {"opik": {"healthy": True}, "langfuse": {"status": "OK", "version": "feedback-proxy"}}[vendor]
    assert resp.status_code == 200 and resp.json() == expected


def test_the_proxys_own_probes_stay_open(url):
    assert HTTP.get(url + "/healthz").json() == {"status": "ok"}
    ready = HTTP.get(url + "/readyz").json()
    assert (ready["status"], ready["store"], set(ready["workers"].values())) == ("ok", "ok", {"ok"})
    assert "feedback_proxy_requests_total" in HTTP.get(url + "/metrics").text
    spec = HTTP.get(url + "/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/v5/span-assessments" in spec["paths"]


# Paths a vendor owns that carry no feedback: passed through to a same-vendor primary.
PASS_THROUGH = {
    "opik": ("GET", "/api/v1/private/projects"),
    "tracia": ("GET", "/api/v1/prompts"),
    "scale": ("GET", "/v5/models"),
    "otel": ("POST", "/v1/metrics"),
    "langfuse": ("GET", "/api/public/v3/scores"),
}


@pytest.mark.parametrize("vendor", VENDORS)
def test_pass_through_paths_need_the_key_too(url, received, vendor):
    method, path = PASS_THROUGH[vendor]
    assert not MAPPINGS[vendor].path_known(path) and MAPPINGS[vendor].owns(
        path
    )  # owned, and no endpoint of the mapping
    assert_shape(vendor, call(url, method, path, {}), 401)
    assert_shape(vendor, call(url, method, path, key_headers(vendor, WRONG_KEY)), 401)
    assert_shape(vendor, call(url, method, path, key_headers(vendor, APP_KEYS[OTHER_APP[vendor]])), 403)
    nothing_sent(received)
    call(url, method, path, key_headers(vendor, APP_KEYS[OWN_APP[vendor]]))
    [got] = received[vendor].received
    assert (got.method, got.path) == (method, path)
    auth = MAPPINGS[vendor].spec.auth.header
    assert got.headers[auth] == UPSTREAM_HEADERS[vendor][next(k for k in UPSTREAM_HEADERS[vendor] if k.lower() == auth)]


def test_an_unknown_path_of_a_vendor_is_refused_before_it_is_answered(secure_proxy, upstreams):
    """Without a key, a caller cannot even learn which paths exist (404 vs 405)."""
    url = secure_proxy(routes=[{"name": r["name"], "from": r["from"]} for r in ROUTES]).url  # no primary to pass it to
    assert_shape("opik", call(url, "DELETE", "/api/v1/private/spans/feedback-scores", {}), 401)
    assert_shape(
        "opik",
        call(url, "DELETE", "/api/v1/private/spans/feedback-scores", key_headers("opik", APP_KEYS["tracia-app"])),
        403,
    )
    assert_shape(
        "opik",
        call(url, "DELETE", "/api/v1/private/spans/feedback-scores", key_headers("opik", APP_KEYS["opik-app"])),
        405,
    )
    assert_shape("opik", call(url, "GET", "/api/v1/private/nothing", key_headers("opik", APP_KEYS["opik-app"])), 404)
    nothing_sent(upstreams)


def test_a_path_no_vendor_owns_is_a_plain_404(url):
    resp = HTTP.get(url + "/nothing/here")
    assert_shape(None, resp, 404)


def test_keys_are_case_sensitive_and_the_scheme_is_not(url, received):
    path = "/api/v1/spans/sp_0123456789abcdef/evaluations"
    assert_shape("tracia", call(url, "POST", path, {"authorization": "Bearer " + APP_KEYS["tracia-app"].upper()}), 401)
    assert_shape("tracia", call(url, "POST", path, {"authorization": "Bearer " + APP_KEYS["tracia-app"][:-1]}), 401)
    assert_shape("tracia", call(url, "POST", path, {"authorization": "Bearer " + APP_KEYS["tracia-app"] + "0"}), 401)
    nothing_sent(received)
    resp = call(
        url,
        "POST",
        path,
        {"authorization": "bearer  " + APP_KEYS["tracia-app"]},
        b'{"evaluatorKey": "quality", "value": 1}',
    )
    assert resp.status_code == 200, resp.text  # the scheme is case-insensitive, as RFC 9110 says


def test_refusals_are_counted_by_vendor_endpoint_and_status(secure_proxy):
    url = secure_proxy().url
    call(url, "POST", "/v5/span-assessments", {})
    call(url, "POST", "/v5/span-assessments", key_headers("scale", APP_KEYS["opik-app"]))
    text = HTTP.get(url + "/metrics").text
    assert 'feedback_proxy_requests_total{endpoint="create",status="401",vendor="scale"} 1.0' in text
    assert 'feedback_proxy_requests_total{endpoint="create",status="403",vendor="scale"} 1.0' in text


def _title(header: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in header.split("-"))
