"""The opik SDK's REST client through the proxy: single-entity score PUTs, score
deletes, comments (201 + Location) and manual evaluation (202 with counts)."""

from __future__ import annotations

import re

import pytest
from opik.id_helpers import generate_id
from opik.rest_api.core.api_error import ApiError

from proxy import ids
from tests.conftest import parked, settled, wait_for

ASSESSMENT = "/v5/span-assessments"


def test_an_opik_primary_answers_every_call_and_a_scale_mirror_follows(live_proxy, fakes, upstreams, opik_sdk):
    url = live_proxy([{"from": "opik", "primary": "opik", "mirrors": ["scale"]}])
    rest = opik_sdk(url).rest_client
    opik, scale = upstreams["opik"], upstreams["scale"]
    trace = generate_id()

    rest.traces.add_trace_feedback_score(trace, name="accuracy", value=0.5, source="ui", reason="half")
    assert (opik.received[0].method, opik.received[0].path) == (
        "PUT",
        f"/api/v1/private/traces/{trace}/feedback-scores",
    )
    assert opik.received[0].body == {"name": "accuracy", "value": 0.5, "source": "ui", "reason": "half"}
    [created] = wait_for(lambda: scale.received, what="the Scale mirror of the score")
    assert created.body == {
        "trace_id": trace,
        "assessment_type": "metadata",
        "comment": "half",
        "metadata": {"name": "accuracy", "value": 0.5, "source": "ui"},
    }
    [scale_id] = scale.assessments
    settled(url)  # the proxy learns the Scale id from the fake's answer, in the commit that settles the record

    rest.traces.delete_trace_feedback_score(trace, name="accuracy")
    assert (opik.received[1].path, opik.received[1].body) == (
        f"/api/v1/private/traces/{trace}/feedback-scores/delete",
        {"name": "accuracy"},
    )
    wait_for(lambda: len(scale.received) == 2, what="the Scale mirror of the delete")
    assert (scale.received[1].method, scale.received[1].path) == ("DELETE", f"{ASSESSMENT}/{scale_id}")
    assert scale.assessments == {}

    raw = rest.traces.with_raw_response.add_trace_comment(trace, text="looked at it")
    assert raw._response.status_code == 201
    assert re.fullmatch(
        rf"{fakes['opik'].url}/api/v1/private/traces/{trace}/comments/[0-9a-f-]{{36}}", raw.headers["location"]
    )
    assert opik.received[2].body == {"text": "looked at it"}
    wait_for(lambda: len(scale.received) == 3, what="the Scale mirror of the comment")
    assert scale.received[2].body == {"trace_id": trace, "assessment_type": "comment", "comment": "looked at it"}

    project, rule = generate_id(), generate_id()
    result = rest.manual_evaluation.evaluate_traces(
        project_id=project, entity_ids=[trace, generate_id()], rule_ids=[rule], entity_type="trace"
    )
    assert (result.entities_queued, result.rules_applied) == (2, 1)  # the fake's answer
    assert opik.received[3].path == "/api/v1/private/manual-evaluation/traces"
    assert opik.received[3].body["project_id"] == project and opik.received[3].body["rule_ids"] == [rule]
    settled(url)
    assert len(scale.received) == 3  # Scale cannot run evaluators: nothing to mirror


def test_a_scale_primary_holds_single_scores_deletes_and_comments(live_proxy, upstreams, opik_sdk, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "opik", "primary": "scale", "mirrors": ["tracia"]}])
    rest = opik_sdk(url, prefix="/opik/api").rest_client
    scale = upstreams["scale"]
    trace = generate_id()

    rest.traces.add_trace_feedback_score(trace, name="accuracy", value=0.7, source="sdk", reason="r")
    [scale_id] = scale.assessments
    assert scale.received[0].body == {
        "trace_id": trace,
        "assessment_type": "metadata",
        "comment": "r",
        "metadata": {"name": "accuracy", "value": 0.7, "source": "sdk"},
    }
    rest.traces.add_trace_feedback_score(trace, name="accuracy", value=0.8, source="sdk")  # Opik overwrites by name
    assert (scale.received[1].method, scale.received[1].path) == ("PATCH", f"{ASSESSMENT}/{scale_id}")
    assert scale.received[1].body == {
        "assessment_type": "metadata",
        "metadata": {"name": "accuracy", "value": 0.8, "source": "sdk"},
    }
    rest.traces.delete_trace_feedback_score(trace, name="accuracy")
    assert (scale.received[2].method, scale.received[2].path) == ("DELETE", f"{ASSESSMENT}/{scale_id}")
    assert scale.assessments == {}

    raw = rest.traces.with_raw_response.add_trace_comment(trace, text="hello")
    assert raw._response.status_code == 201
    comment = re.fullmatch(rf"{url}/opik/api/v1/private/traces/{trace}/comments/(.+)", raw.headers["location"]).group(1)
    assert ids.is_uuid7(comment)
    assert scale.received[3].body == {"trace_id": trace, "assessment_type": "comment", "comment": "hello"}

    # a span score: Scale needs the span's trace id, which the proxy has not seen yet,
    # so the score waits in the outbox for the span (delivery.park_ttl) and the SDK is answered
    rest.spans.add_span_feedback_score(generate_id(), name="accuracy", value=1, source="sdk")
    [evaluation] = wait_for(lambda: upstreams["tracia"].received, what="the Tracia mirror of the span score")
    assert evaluation.body == {"evaluatorKey": "accuracy", "value": 1}
    parked(caplog, url, scale=1, tracia=2)  # and the trace scores at Tracia wait for a root span
    assert len(scale.received) == 4


def test_a_tracia_primary_takes_a_span_score_and_refuses_what_it_cannot_do(live_proxy, upstreams, opik_sdk):
    rest = opik_sdk(live_proxy([{"from": "opik", "primary": "tracia"}])).rest_client
    span = generate_id()
    rest.spans.add_span_feedback_score(span, name="quality", value=0, source="sdk", reason="off topic")
    [got] = upstreams["tracia"].received
    assert re.fullmatch(r"/api/v1/spans/sp_[0-9a-f]{16}/evaluations", got.path)
    assert got.body == {"evaluatorKey": "quality", "value": 0, "note": "off topic"}

    for refused in (
        lambda: rest.spans.add_span_comment(span, text="hi"),
        lambda: rest.spans.delete_span_feedback_score(span, name="quality"),
        lambda: rest.traces.delete_thread_feedback_scores(project_name="p", thread_id="t-1", names=["quality"]),
    ):
        with pytest.raises(ApiError) as err:
            refused()
        assert err.value.status_code == 422
    assert len(upstreams["tracia"].received) == 1


@pytest.mark.parametrize("entity", ["traces", "spans", "threads"])
def test_manual_evaluation_without_a_primary_is_answered_with_its_counts(live_proxy, upstreams, opik_sdk, entity):
    url = live_proxy([{"from": "opik", "mirrors": ["scale"]}])
    rest = opik_sdk(url).rest_client
    call = getattr(rest.manual_evaluation.with_raw_response, f"evaluate_{entity}")
    raw = call(
        project_id=generate_id(),
        entity_ids=[generate_id() for _ in range(3)],
        rule_ids=[generate_id(), generate_id()],
        entity_type=entity.rstrip("s"),
    )
    assert raw._response.status_code == 202
    assert (raw.data.entities_queued, raw.data.rules_applied) == (3, 2)
    settled(url)
    assert all(not fake.received for fake in upstreams.values())
