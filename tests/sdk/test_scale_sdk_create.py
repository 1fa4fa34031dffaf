"""The scale-gp-beta 0.7.0 SDK creating span assessments through the proxy: each of
the six assessment types with an Opik primary (translated) and a Tracia mirror,
and with a Scale primary (forwarded as is)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from scale_gp_beta import UnprocessableEntityError

from proxy import ids
from tests.conftest import parked, settled, wait_for

OPIK_FIRST = [{"from": "scale", "primary": "opik", "mirrors": ["tracia"]}]
TRACIA_SPAN = re.compile(r"^/api/v1/spans/sp_[0-9a-f]{16}/evaluations$")
CARRIED = "[feedback-proxy] "

# assessment_type -> (create kwargs, what Opik gets: (method, path after the span id or None, body without ids),
#                     what the Tracia mirror gets, or None when Tracia cannot hold it)
CASES = {
    "comment": ({"comment": "free text"}, ("POST", "/comments", {"text": "free text"}), None),
    "rating": (
        {"rating": 4, "comment": "why 4"},
        ("PUT", None, [{"name": "rating", "value": 4, "source": "sdk", "reason": "why 4"}]),
        {"evaluatorKey": "rating", "value": 1, "note": "why 4\n" + CARRIED + '{"value": 4, "scale": [1, 5]}'},
    ),
    "approval": (
        {"approval": "rejected", "comment": "wrong"},
        (
            "PUT",
            None,
            [{"name": "approval", "value": 0, "source": "sdk", "reason": "wrong", "category_name": "rejected"}],
        ),
        {
            "evaluatorKey": "approval",
            "value": 0,
            "note": "wrong\n" + CARRIED + '{"value": 0, "scale": [0, 1], "label": "rejected"}',
        },
    ),
    "rubric": (
        {"rubric": {"accuracy": "pass", "tone": "fail"}},
        (
            "PUT",
            None,
            [
                {"name": "accuracy", "value": 1, "category_name": "pass", "source": "sdk"},
                {"name": "tone", "value": 0, "category_name": "fail", "source": "sdk"},
            ],
        ),
        None,
    ),
    "metadata": (
        {"metadata": {"name": "accuracy", "value": 0.9, "nested": {"k": [1, 2]}}},
        ("PUT", None, [{"name": "accuracy", "value": 0.9, "source": "sdk"}]),
        {
            "evaluatorKey": "accuracy",
            "value": 1,
            "note": CARRIED + '{"value": 0.9, "metadata": {"name": "accuracy", "value": 0.9, "nested": {"k": [1, 2]}}}',
        },
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_assessment_type_reaches_an_opik_primary_and_a_tracia_mirror(live_proxy, upstreams, scale_sdk, kind):
    kwargs, (method, tail, opik_body), tracia_body = CASES[kind]
    url = live_proxy(OPIK_FIRST)
    client = scale_sdk(url)
    before = datetime.now(UTC) - timedelta(seconds=1)
    a = client.span_assessments.create(assessment_type=kind, trace_id="trace-1", span_id="span-1", **kwargs)

    assert (a.assessment_type, a.trace_id, a.span_id, a.object) == (kind, "trace-1", "span-1", "span.assessment")
    assert (a.created_by, a.account_id) == ("feedback-proxy", "acct_client")
    assert ids.is_uuid7(a.assessment_id)
    assert before <= a.created_at <= datetime.now(UTC) and before <= a.updated_at
    for field in ("comment", "rating", "approval", "rubric"):
        assert getattr(a, field) == kwargs.get(field), field
    if kind == "metadata":  # see the report: the echo also shows a "source" the client never sent
        assert {k: a.metadata[k] for k in kwargs["metadata"]} == kwargs["metadata"]
    else:
        assert a.metadata is None
    assert a.overwrite is None

    [got] = upstreams["opik"].received
    assert got.method == method
    if tail:  # a comment: on the span, by its Opik id
        span = got.path.split("/")[-2]
        assert got.path == f"/api/v1/private/spans/{span}{tail}" and got.body == opik_body
    else:
        assert got.path == "/api/v1/private/spans/feedback-scores"
        span = got.body["scores"][0]["id"]
        assert got.body == {"scores": [{**s, "id": span} for s in opik_body]}
    assert ids.is_uuid7(span)

    if tracia_body is None:
        settled(url)
        assert upstreams["tracia"].received == []
    else:
        [mirrored] = wait_for(lambda: upstreams["tracia"].received, what="the Tracia mirror")
        assert mirrored.method == "POST" and TRACIA_SPAN.match(mirrored.path)
        assert mirrored.body == tracia_body


def test_an_assessment_on_a_trace_becomes_an_opik_trace_score(live_proxy, upstreams, scale_sdk, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy(OPIK_FIRST)
    a = scale_sdk(url).span_assessments.create(assessment_type="rating", trace_id="trace-2", rating=5)
    assert (a.rating, a.trace_id, a.span_id) == (5, "trace-2", None)
    [got] = upstreams["opik"].received
    assert (got.method, got.path) == ("PUT", "/api/v1/private/traces/feedback-scores")
    [score] = got.body["scores"]
    assert score == {"id": score["id"], "name": "rating", "value": 5, "source": "sdk"} and ids.is_uuid7(score["id"])
    parked(caplog, url, tracia=1)
    assert upstreams["tracia"].received == []  # Tracia evaluates spans: it waits for a root span of trace-2


def test_an_overwrite_opik_cannot_hold_is_rejected_or_dropped_as_the_route_says(live_proxy, upstreams, scale_sdk):
    body = {"output": {"completion": "corrected"}}
    rejecting = scale_sdk(live_proxy(OPIK_FIRST))
    with pytest.raises(UnprocessableEntityError) as err:
        rejecting.span_assessments.create(
            assessment_type="overwrite", trace_id="trace-1", span_id="span-1", overwrite=body
        )
    assert err.value.status_code == 422 and "opik" in err.value.body["detail"]

    url = live_proxy([{**OPIK_FIRST[0], "untranslatable": "drop"}])
    dropping = scale_sdk(url)
    a = dropping.span_assessments.create(
        assessment_type="overwrite", trace_id="trace-1", span_id="span-1", overwrite=body
    )
    assert (a.assessment_type, a.overwrite, a.rating) == ("overwrite", body, None)
    settled(url)
    assert upstreams["opik"].received == [] and upstreams["tracia"].received == []


def test_a_rating_out_of_range_is_a_422_the_sdk_raises(live_proxy, upstreams, scale_sdk):
    client = scale_sdk(live_proxy(OPIK_FIRST))
    with pytest.raises(UnprocessableEntityError) as err:
        client.span_assessments.create(assessment_type="rating", trace_id="trace-1", span_id="span-1", rating=7)
    assert err.value.body == {
        "detail": [
            {
                "type": "less_than_equal",
                "loc": ["body", "rating"],
                "msg": "Input should be less than or equal to 5",
                "input": 7,
                "ctx": {"le": 5},
            }
        ]
    }
    assert all(not fake.received for fake in upstreams.values())


def test_a_scale_primary_gets_the_create_verbatim_and_its_id_comes_back(live_proxy, upstreams, scale_sdk):
    client = scale_sdk(live_proxy([{"from": "scale", "primary": "scale", "mirrors": ["opik"]}]))
    a = client.span_assessments.create(
        assessment_type="approval", trace_id="trace-1", span_id="span-1", approval="approved"
    )

    [got] = upstreams["scale"].received
    assert (got.method, got.path) == ("POST", "/v5/span-assessments")
    assert got.body == {
        "assessment_type": "approval",
        "trace_id": "trace-1",
        "approval": "approved",
        "span_id": "span-1",
    }
    assert got.headers["user-agent"] == "SGPClient/Python 0.7.0" and got.headers["x-stainless-retry-count"] == "0"
    assert list(upstreams["scale"].assessments) == [a.assessment_id]  # the fake's id, not the proxy's
    assert (a.created_by, a.approval, a.account_id) == ("fake-user", "approved", None)

    [mirrored] = wait_for(lambda: upstreams["opik"].received, what="the Opik mirror")
    [score] = mirrored.body["scores"]
    assert score == {"id": score["id"], "name": "approval", "value": 1, "source": "sdk", "category_name": "approved"}


class AnswerLostOnce(httpx.HTTPTransport):
    """The client's side of a connection whose first answer to a create never arrives: the
    request reaches the proxy and is answered, then the connection fails before the SDK reads
    it (as a timeout or a reset would). The SDK retries it, counting: x-stainless-retry-count: 1."""

    def __init__(self):
        super().__init__()
        self.lost: list[int] = []
        self.attempts: list[str] = []  # each POST's x-stainless-retry-count, as it left the SDK

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.attempts.append(request.headers["x-stainless-retry-count"])
        response = super().handle_request(request)
        if request.method == "POST" and not self.lost:
            response.read()
            self.lost.append(response.status_code)
            raise httpx.ReadError("the answer was lost on the way back", request=request)
        return response


def test_a_create_the_sdk_retries_after_its_answer_was_lost_is_one_assessment(live_proxy, upstreams, scale_sdk):
    """Only a retry is merged: the SDK's own retry (count 1) of a create the proxy took gets the
    first answer; the same create made again as a new call (count 0) is a second assessment, as
    Scale itself would make it."""
    lossy = AnswerLostOnce()
    url = live_proxy([{"from": "scale", "primary": "scale", "mirrors": ["opik"]}])
    client = scale_sdk(url, http_client=httpx.Client(transport=lossy))
    rating = {"assessment_type": "rating", "trace_id": "trace-1", "span_id": "span-1", "rating": 4}
    first = client.span_assessments.create(**rating)
    assert lossy.lost == [200] and lossy.attempts == ["0", "1"]  # taken, its answer lost; the SDK's retry answered
    sent = [r for r in upstreams["scale"].received if r.method == "POST"]
    assert [r.headers["x-stainless-retry-count"] for r in sent] == ["0"]  # the retry did not reach Scale
    assert list(upstreams["scale"].assessments) == [first.assessment_id]

    again = client.span_assessments.create(**rating)  # a new call
    assert lossy.attempts == ["0", "1", "0"] and again.assessment_id != first.assessment_id
    assert list(upstreams["scale"].assessments) == [first.assessment_id, again.assessment_id]
    wait_for(lambda: len(upstreams["opik"].bodies("PUT")) == 2, what="both at the Opik mirror")
    assert [b["scores"][0]["value"] for b in upstreams["opik"].bodies("PUT")] == [4, 4]


def test_a_create_repeated_with_the_same_idempotency_key_is_one_assessment(live_proxy, upstreams, scale_sdk):
    client = scale_sdk(live_proxy(OPIK_FIRST))
    approval = {"assessment_type": "approval", "trace_id": "trace-1", "span_id": "span-1", "approval": "approved"}
    first = client.span_assessments.create(**approval, extra_headers={"Idempotency-Key": "verdict-7"})
    second = client.span_assessments.create(**approval, extra_headers={"Idempotency-Key": "verdict-7"})
    other = client.span_assessments.create(**approval, extra_headers={"Idempotency-Key": "verdict-8"})
    assert second.assessment_id == first.assessment_id != other.assessment_id
    assert len(upstreams["opik"].bodies("PUT")) == 2  # the primary got the first and the other, once each
    wait_for(lambda: len(upstreams["tracia"].bodies("POST")) == 2, what="the first and the other at the Tracia mirror")
    [one, two] = upstreams["tracia"].bodies("POST")
    assert (
        one
        == two
        == {
            "evaluatorKey": "approval",
            "value": 1,
            "note": CARRIED + '{"value": 1, "scale": [0, 1], "label": "approved"}',
        }
    )
