"""The tracia 0.3.1 SDK against the proxy: `spans.evaluate` with a Tracia primary
(forwarded as is), an Opik primary (translated) and a Scale primary (refused),
with Opik and Scale mirrors."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from tracia import EvaluateOptions, TraciaError
from tracia._errors import TraciaErrorCode

from proxy import ids
from proxy.testing import free_port
from tests.conftest import parked, wait_for

SPAN = "sp_0123456789abcdef"


def opik_scores(upstreams) -> list[dict]:
    return [s for b in upstreams["opik"].bodies("PUT", r"^/api/v1/private/spans/feedback-scores$") for s in b["scores"]]


def test_tracia_primary_gets_the_request_verbatim_and_its_answer_goes_back(live_proxy, upstreams, tracia_sdk):
    url = live_proxy([{"from": "tracia", "primary": "tracia", "mirrors": ["opik", "scale"]}])
    result = tracia_sdk(url).spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=1, note="looks right"))

    assert re.fullmatch(r"eval_fake\d{6}", result.id)  # the fake's own id, not one the proxy made
    assert (result.evaluator_key, result.evaluator_name, result.value, result.source, result.note) == (
        "quality",
        "Quality",
        1.0,
        "api",
        "looks right",
    )
    [got] = upstreams["tracia"].received
    assert (got.method, got.path) == ("POST", f"/api/v1/spans/{SPAN}/evaluations")
    assert got.body == {"evaluatorKey": "quality", "value": 1, "note": "looks right"}
    assert got.headers["user-agent"] == "tracia-sdk-python/0.2.2"  # the client's own headers travel on

    [score] = wait_for(lambda: opik_scores(upstreams), what="the Opik mirror")
    assert ids.is_uuid7(score["id"])
    assert score == {"id": score["id"], "name": "quality", "value": 1, "source": "sdk", "reason": "looks right"}
    assert upstreams["scale"].received == []  # Scale needs a trace id a Tracia evaluation does not have


def test_tracia_primary_keeps_a_percent_encoded_span_id_one_segment(live_proxy, upstreams, tracia_sdk):
    url = live_proxy([{"from": "tracia", "primary": "tracia", "mirrors": ["opik"]}])
    tracia_sdk(url).spans.evaluate("sp_abc/special id", EvaluateOptions(evaluator="quality", value=0))
    [got] = upstreams["tracia"].received
    assert got.path == "/api/v1/spans/sp_abc%2Fspecial%20id/evaluations"
    assert got.body == {"evaluatorKey": "quality", "value": 0}
    [score] = wait_for(lambda: opik_scores(upstreams), what="the Opik mirror")  # decoded as one evaluation, too
    assert score == {"id": score["id"], "name": "quality", "value": 0, "source": "sdk"} and ids.is_uuid7(score["id"])


def test_opik_primary_gets_a_span_score_and_the_sdk_a_full_evaluate_result(live_proxy, upstreams, tracia_sdk, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}])
    before = datetime.now(UTC)
    result = tracia_sdk(url).spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=1, note="good"))

    assert re.fullmatch(r"eval_[0-9a-f]{16}", result.id)
    assert (result.evaluator_key, result.evaluator_name, result.value, result.source, result.note) == (
        "quality",
        "Quality",
        1.0,
        "api",
        "good",
    )
    assert before.replace(microsecond=0) <= result.created_at <= datetime.now(UTC)
    [got] = upstreams["opik"].received  # the primary is synchronous: there before the answer
    assert (got.method, got.path) == ("PUT", "/api/v1/private/spans/feedback-scores")
    [score] = got.body["scores"]
    assert score == {"id": score["id"], "name": "quality", "value": 1, "source": "sdk", "reason": "good"}
    assert ids.is_uuid7(score["id"]) and abs(ids.uuid7_ms(score["id"]) - time.time() * 1000) < 60_000
    parked(caplog, url, scale=1)  # Scale needs the span's trace id, which the proxy has not seen
    assert upstreams["scale"].received == []


def test_the_same_tracia_span_is_the_same_opik_span_every_time(live_proxy, upstreams, tracia_sdk):
    client = tracia_sdk(live_proxy([{"from": "tracia", "primary": "opik"}]))
    first = client.spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=0.75))
    second = client.spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=0))
    other = client.spans.evaluate("sp_00000000000000aa", EvaluateOptions(evaluator="quality", value=1))

    assert (first.value, second.value, other.value) == (0.75, 0.0, 1.0)
    assert first.note is None and first.id != second.id
    a, b, c = opik_scores(upstreams)
    assert a["id"] == b["id"] != c["id"]
    assert [(s["name"], s["value"]) for s in (a, b, c)] == [("quality", 0.75), ("quality", 0), ("quality", 1)]
    assert "reason" not in a


def test_an_invalid_evaluation_is_a_tracia_400_and_reaches_no_upstream(live_proxy, upstreams, tracia_sdk):
    client = tracia_sdk(live_proxy([{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}]))
    with pytest.raises(TraciaError) as err:
        client.spans.evaluate(SPAN, EvaluateOptions(evaluator="", value=1))
    assert (err.value.code, err.value.status_code) == (TraciaErrorCode.INVALID_REQUEST, 400)
    assert err.value.message == "evaluatorKey must have at least 1 character(s)"
    assert all(not fake.received for fake in upstreams.values())


def test_a_scale_primary_takes_an_evaluation_once_it_knows_the_span(live_proxy, upstreams, tracia_sdk, caplog):
    """Scale needs the span's trace: the evaluation waits for the span, then arrives on it."""
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "tracia", "primary": "scale", "mirrors": ["opik"]}])
    client = tracia_sdk(url)
    result = client.spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=1))
    assert (result.evaluator_key, result.value) == ("quality", 1.0)
    parked(caplog, url, scale=1)
    assert upstreams["scale"].received == []  # waiting: the proxy has not seen the span


@pytest.mark.parametrize("failure", ["answers 500", "is down"])
def test_a_failing_opik_primary_is_a_tracia_provider_error(live_proxy, upstreams, tracia_sdk, failure):
    routes = [{"from": "tracia", "primary": "opik"}]
    if failure == "is down":
        url = live_proxy(routes, upstream_patch={"opik": {"base_url": f"http://127.0.0.1:{free_port()}/api"}})
    else:
        upstreams["opik"].fail_next(1, 500, {"code": 500, "message": "boom"})
        url = live_proxy(routes)
    with pytest.raises(TraciaError) as err:
        tracia_sdk(url).spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=1))
    assert (err.value.code, err.value.status_code) == (TraciaErrorCode.PROVIDER_ERROR, 502)
    assert len(upstreams["opik"].received) == (1 if failure == "answers 500" else 0)


@pytest.mark.parametrize("primary", ["tracia", "opik"])
def test_three_identical_evaluations_are_three_evaluations(live_proxy, upstreams, tracia_sdk, primary):
    """The Tracia SDK never retries an evaluation: each call is a verdict of its own, as Tracia
    makes one each time, even when three say the same within dedupe_window."""
    mirrors = ["opik"] if primary == "tracia" else []
    client = tracia_sdk(live_proxy([{"from": "tracia", "primary": primary, "mirrors": mirrors}]))
    verdict = EvaluateOptions(evaluator="quality", value=1, note="same")
    results = [client.spans.evaluate(SPAN, verdict) for _ in range(3)]
    assert len({r.id for r in results}) == 3
    if primary == "tracia":
        assert all(re.fullmatch(r"eval_fake\d{6}", r.id) for r in results)  # Tracia's own, one per call
        assert upstreams["tracia"].bodies("POST") == [{"evaluatorKey": "quality", "value": 1, "note": "same"}] * 3
        wait_for(lambda: len(opik_scores(upstreams)) == 3, what="three at the Opik mirror")
    else:
        assert all(re.fullmatch(r"eval_[0-9a-f]{16}", r.id) for r in results)
    scores = opik_scores(upstreams)
    assert len(scores) == 3 and len({s["id"] for s in scores}) == 1  # Opik holds one score per span and name: upserted
    assert scores == [{"id": scores[0]["id"], "name": "quality", "value": 1, "source": "sdk", "reason": "same"}] * 3
