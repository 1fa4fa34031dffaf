"""A primary upstream that fails: down, answering 5xx, too slow, or refusing with a
4xx. The client gets an answer in its own vendor's shape; mirrors do not decide it."""

from __future__ import annotations

import json

import pytest

from proxy.testing import free_port
from tests.conftest import BASE_PATHS, VENDORS, wait_for
from tests.integration.shapes import error_of, opik_errors, send_valid

# client vendor -> a primary of another vendor that can hold its VALID request
OTHER = {"opik": "tracia", "tracia": "opik", "scale": "opik", "langfuse": "opik", "otel": "opik"}


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("same", [False, True], ids=["translated", "forwarded"])
def test_a_primary_that_is_down_is_a_502(live_proxy, upstreams, vendor, same):
    primary = vendor if same else OTHER[vendor]
    url = live_proxy(
        [{"from": vendor, "primary": primary}],
        upstream_patch={primary: {"base_url": f"http://127.0.0.1:{free_port()}{BASE_PATHS[primary]}"}},
    )
    message = error_of(vendor, send_valid(url, vendor), 502)
    assert message.startswith("cannot reach http://127.0.0.1:") and "ConnectionRefusedError" in message


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_primary_answering_500_is_a_502_and_its_body_is_quoted(live_proxy, upstreams, vendor):
    primary = OTHER[vendor]
    upstreams[primary].fail_next(1, 500, {"oops": "internal"})
    message = error_of(vendor, send_valid(live_proxy([{"from": vendor, "primary": primary}]), vendor), 502)
    assert message == f'the primary upstream {primary!r} answered 500: {{"oops":"internal"}}'
    assert len(upstreams[primary].received) == 1  # no retry on the client's time


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_primary_too_slow_is_a_502(live_proxy, fakes, upstreams, vendor):
    primary = OTHER[vendor]
    url = live_proxy([{"from": vendor, "primary": primary}], upstream_patch={primary: {"timeout": 0.3}})
    upstreams[primary].fail_next(1, 204, delay=1.0)
    assert error_of(vendor, send_valid(url, vendor), 502) == f"no answer within 0.3 s from {fakes[primary].url}"


@pytest.mark.parametrize("vendor, status", [("tracia", 409), ("scale", 404), ("scale", 400)])
def test_a_primary_4xx_is_passed_on_as_that_status(live_proxy, upstreams, vendor, status):
    primary = OTHER[vendor]
    upstreams[primary].fail_next(1, status, {"code": status, "message": "nope"})
    message = error_of(vendor, send_valid(live_proxy([{"from": vendor, "primary": primary}]), vendor), status)
    assert message == f'the primary upstream {primary!r} answered {status}: {{"code":{status},"message":"nope"}}'


def test_an_upstream_429_keeps_its_retry_after(live_proxy, upstreams):
    upstreams["opik"].fail_next(1, 429, {"code": 429, "message": "slow down"}, {"Retry-After": "7"})
    resp = send_valid(live_proxy([{"from": "tracia", "primary": "opik"}]), "tracia")
    assert error_of("tracia", resp, 429).startswith("the primary upstream 'opik' answered 429")
    assert resp.headers["retry-after"] == "7"


def test_an_upstream_401_is_the_proxys_problem_not_the_clients(live_proxy, upstreams):
    upstreams["opik"].fail_next(1, 401, {"code": 401, "message": "API key should be provided"})
    resp = send_valid(live_proxy([{"from": "scale", "primary": "opik"}]), "scale")
    assert (
        error_of("scale", resp, 502)
        == """the primary upstream 'opik' answered 401: {"code":401,"message":"API key should be provided"}"""
    )


def test_an_upstream_422_reaches_an_opik_client_as_opik_validation_errors(live_proxy, upstreams):
    upstreams["tracia"].fail_next(1, 422, {"error": {"code": "INVALID_REQUEST", "message": "no such span"}})
    resp = send_valid(live_proxy([{"from": "opik", "primary": "tracia"}]), "opik")
    [message] = opik_errors(resp, 422)
    assert message.startswith("the primary upstream 'tracia' answered 422")


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_same_vendor_primary_error_is_returned_as_it_came(live_proxy, upstreams, vendor):
    body = {
        "opik": {"code": 503, "message": "down for maintenance"},
        "tracia": {"error": {"code": "PROVIDER_ERROR", "message": "x"}},
        "scale": {"detail": "upstream unavailable"},
        "langfuse": {"message": "Ingestion suspended", "error": "ServiceUnavailableError"},
        "otel": {"code": 14, "message": "collector unavailable"},
    }[vendor]
    upstreams[vendor].fail_next(1, 503, body, {"x-vendor-trace": "abc"})
    resp = send_valid(live_proxy([{"from": vendor, "primary": vendor}]), vendor)
    assert (resp.status_code, resp.json(), resp.headers["x-vendor-trace"]) == (503, body, "abc")


def test_a_mirror_that_keeps_failing_does_not_change_the_answer(live_proxy, upstreams):
    upstreams["tracia"].fail_next(3, 500, {"error": {"code": "PROVIDER_ERROR", "message": "down"}})
    resp = send_valid(live_proxy([{"from": "scale", "primary": "opik", "mirrors": ["tracia"]}]), "scale")
    assert resp.status_code == 200 and resp.json()["approval"] == "approved"
    assert len(upstreams["opik"].received) == 1
    wait_for(lambda: len(upstreams["tracia"].received) == 4, what="three failures, then the delivery")
    assert not upstreams["tracia"].faults
    assert len({json.dumps(b, sort_keys=True) for b in upstreams["tracia"].bodies("POST")}) == 1


def test_a_mirror_that_answers_503_twice_gets_the_record_the_third_time(live_proxy, upstreams):
    upstreams["scale"].fail_next(2, 503)
    url = live_proxy([{"from": "scale", "primary": "opik", "mirrors": ["scale"]}])
    assert send_valid(url, "scale").status_code == 200
    wait_for(lambda: upstreams["scale"].assessments, what="the third attempt")
    bodies = upstreams["scale"].bodies("POST")
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["approval"] == "approved" and bodies[0]["trace_id"] == "trace-1"
