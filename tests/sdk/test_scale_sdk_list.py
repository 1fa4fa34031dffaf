"""The scale-gp-beta SDK's `span_assessments.list` answered by the proxy itself (a
non-Scale primary, or none): the filters Scale's docs list for it (trace_id,
span_id, assessment_type) narrow the answer as Scale's would, and a list naming
neither id is Scale's 400, `{"detail": "..."}`.
"""

from __future__ import annotations

import pytest
from scale_gp_beta import BadRequestError, UnprocessableEntityError

NEITHER = "Either span_id or trace_id must be provided as a query parameter"


def without_updated_at(a) -> dict:
    return a.model_dump(exclude={"updated_at"})


def dumps(page) -> list[dict]:
    return [without_updated_at(i) for i in page.items]


def make_one_of_each(client, types: tuple[str, ...]) -> dict[str, list]:
    """On trace-1: each type once on span-1, and a second rating on span-2; one rating on trace-2."""
    content = {
        "comment": {"comment": "free text"},
        "rating": {"rating": 4, "comment": "why 4"},
        "approval": {"approval": "rejected"},
        "rubric": {"rubric": {"accuracy": "pass", "tone": "fail"}},
        "metadata": {"metadata": {"name": "accuracy", "value": 0.9}},
        "overwrite": {"overwrite": {"output": {"completion": "corrected"}}},
    }
    made: dict[str, list] = {t: [] for t in types}
    for t in types:
        made[t].append(
            client.span_assessments.create(assessment_type=t, trace_id="trace-1", span_id="span-1", **content[t])
        )
    made["rating"].append(
        client.span_assessments.create(assessment_type="rating", trace_id="trace-1", span_id="span-2", rating=2)
    )
    client.span_assessments.create(assessment_type="rating", trace_id="trace-2", span_id="span-3", rating=5)
    return made


@pytest.mark.parametrize(
    "route, types",
    [
        (
            {"from": "scale", "primary": "opik"},
            ("comment", "rating", "approval", "rubric", "metadata"),
        ),  # Opik holds no overwrite
        (
            {"from": "scale"},
            ("comment", "rating", "approval", "rubric", "metadata", "overwrite"),
        ),  # no primary: answered as Scale would
    ],
    ids=["opik-primary", "no-primary"],
)
def test_a_list_keeps_only_the_assessment_type_asked_for(live_proxy, upstreams, scale_sdk, route, types):
    client = scale_sdk(live_proxy([route]))
    made = make_one_of_each(client, types)
    sent = len(upstreams["opik"].received)

    for t in types:
        assert dumps(client.span_assessments.list(trace_id="trace-1", assessment_type=t)) == [
            without_updated_at(a) for a in made[t]
        ]
        assert {
            i.assessment_type for i in client.span_assessments.list(trace_id="trace-1", assessment_type=t).items
        } == {t}
    [on_span_1, on_span_2] = made["rating"]
    assert dumps(client.span_assessments.list(span_id="span-1", assessment_type="rating")) == [
        without_updated_at(on_span_1)
    ]
    assert dumps(client.span_assessments.list(span_id="span-2", assessment_type="rating")) == [
        without_updated_at(on_span_2)
    ]
    assert client.span_assessments.list(span_id="span-2", assessment_type="approval").items == []
    assert client.span_assessments.list(trace_id="trace-2", assessment_type="comment").items == []
    # without a type: every assessment of the trace, in the order made
    everything = [a.assessment_id for t in types for a in made[t][:1]] + [on_span_2.assessment_id]
    assert [i.assessment_id for i in client.span_assessments.list(trace_id="trace-1").items] == everything
    assert len(upstreams["opik"].received) == sent  # the reads never left the proxy


def test_a_list_by_trace_id_holds_only_that_trace(live_proxy, scale_sdk):
    """An id that is one trace's and another trace's span's: listing the trace gives the trace's alone."""
    client = scale_sdk(live_proxy([{"from": "scale", "primary": "opik"}]))
    on_span = client.span_assessments.create(
        assessment_type="rating", trace_id="trace-a", span_id="shared-id", rating=1
    )
    on_trace = client.span_assessments.create(
        assessment_type="rating", trace_id="shared-id", span_id="span-b", rating=2
    )
    assert dumps(client.span_assessments.list(trace_id="shared-id")) == [without_updated_at(on_trace)]
    assert dumps(client.span_assessments.list(span_id="shared-id")) == [without_updated_at(on_span)]


@pytest.mark.parametrize(
    "route", [{"from": "scale", "primary": "opik"}, {"from": "scale"}], ids=["opik-primary", "no-primary"]
)
def test_a_list_naming_neither_id_is_a_400(live_proxy, upstreams, scale_sdk, route):
    client = scale_sdk(live_proxy([route]), max_retries=0)
    for kw in ({}, {"assessment_type": "rating"}):
        with pytest.raises(BadRequestError) as err:
            client.span_assessments.list(**kw)
        assert err.value.status_code == 400
        assert err.value.body == {"detail": NEITHER}
    assert upstreams["opik"].received == []


def test_a_list_with_an_unknown_type_is_still_a_422_naming_only_it(live_proxy, upstreams, scale_sdk):
    """Scale validates its query parameters before it looks for an id: a bad type is a 422, with or without ids."""
    client = scale_sdk(live_proxy([{"from": "scale", "primary": "opik"}]), max_retries=0)
    for kw in ({}, {"trace_id": "trace-1"}):
        with pytest.raises(UnprocessableEntityError) as err:
            client.span_assessments.list(assessment_type="grade", **kw)
        assert err.value.body == {
            "detail": [
                {
                    "type": "literal_error",
                    "loc": ["query", "assessment_type"],
                    "input": "grade",
                    "msg": "Input should be 'comment' or 'rating' or 'approval' or 'rubric' or 'metadata'"
                    " or 'overwrite'",
                }
            ]
        }
    assert upstreams["opik"].received == []
