"""The scale-gp-beta SDK's retrieve / update / list / delete through the proxy.

With an Opik primary the proxy answers from its own record, an update becomes an
Opik overwrite (same span id, same name) and a delete an Opik score delete. With
a Scale primary every call is forwarded as is and the Opik mirror follows.
"""

from __future__ import annotations

import pytest
from scale_gp_beta import NotFoundError, UnprocessableEntityError

from proxy import ids
from tests.conftest import settled, wait_for

SCORES = "/api/v1/private/spans/feedback-scores"


def without_updated_at(a) -> dict:
    return a.model_dump(exclude={"updated_at"})


def test_an_opik_primary_assessment_read_updated_listed_and_deleted(live_proxy, upstreams, scale_sdk):
    client = scale_sdk(live_proxy([{"from": "scale", "primary": "opik"}]))
    opik = upstreams["opik"]
    a = client.span_assessments.create(
        assessment_type="rating", trace_id="trace-1", span_id="span-1", rating=3, comment="meh"
    )
    [created] = opik.bodies("PUT", SCORES)
    span = created["scores"][0]["id"]
    assert created == {"scores": [{"id": span, "name": "rating", "value": 3, "source": "sdk", "reason": "meh"}]}

    got = client.span_assessments.retrieve(a.assessment_id)
    assert without_updated_at(got) == without_updated_at(a)

    with pytest.raises(UnprocessableEntityError):
        client.span_assessments.update(a.assessment_id, rating=7)
    changed = client.span_assessments.update(a.assessment_id, rating=5)
    assert (changed.assessment_id, changed.rating, changed.comment, changed.assessment_type) == (
        a.assessment_id,
        5,
        "meh",
        "rating",
    )
    assert changed.created_at == a.created_at
    # an Opik overwrite: the same span and the same name again
    assert opik.bodies("PUT", SCORES)[1] == {
        "scores": [{"id": span, "name": "rating", "value": 5, "source": "sdk", "reason": "meh"}]
    }

    for query in ({"trace_id": "trace-1"}, {"span_id": "span-1"}):
        page = client.span_assessments.list(**query)
        assert [without_updated_at(i) for i in page.items] == [without_updated_at(changed)]
    assert client.span_assessments.list(trace_id="trace-elsewhere").items == []

    gone = client.span_assessments.delete(a.assessment_id)
    assert gone.model_dump() == {"id": a.assessment_id, "deleted": True, "object": "span.assessment"}
    last = opik.received[-1]
    assert (last.method, last.path, last.body) == (
        "POST",
        f"/api/v1/private/spans/{span}/feedback-scores/delete",
        {"name": "rating"},
    )
    assert len(opik.received) == 3  # create, overwrite, delete: the reads never left the proxy

    for call in (
        lambda: client.span_assessments.retrieve(a.assessment_id),
        lambda: client.span_assessments.delete(a.assessment_id),
        lambda: client.span_assessments.update(a.assessment_id, rating=2),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert err.value.body == {"detail": f"no assessment with id {a.assessment_id!r}"}
    assert client.span_assessments.list(span_id="span-1").items == []
    assert len(opik.received) == 3


def test_two_assessments_on_a_span_are_listed_in_the_order_made(live_proxy, upstreams, scale_sdk):
    client = scale_sdk(live_proxy([{"from": "scale", "primary": "opik"}]))
    first = client.span_assessments.create(
        assessment_type="approval", trace_id="trace-1", span_id="span-1", approval="approved"
    )
    second = client.span_assessments.create(
        assessment_type="comment", trace_id="trace-1", span_id="span-2", comment="see span 2"
    )
    assert [i.assessment_id for i in client.span_assessments.list(trace_id="trace-1").items] == [
        first.assessment_id,
        second.assessment_id,
    ]
    assert [i.assessment_id for i in client.span_assessments.list(span_id="span-2").items] == [second.assessment_id]
    comment = upstreams["opik"].received[1]
    assert comment.method == "POST" and comment.body == {"text": "see span 2"}
    assert ids.is_uuid7(comment.path.split("/")[-2])


def test_a_scale_primary_serves_every_call_and_the_opik_mirror_follows(live_proxy, upstreams, scale_sdk):
    url = live_proxy([{"from": "scale", "primary": "scale", "mirrors": ["opik"]}])
    client = scale_sdk(url)
    scale, opik = upstreams["scale"], upstreams["opik"]
    a = client.span_assessments.create(
        assessment_type="rating", trace_id="trace-1", span_id="span-1", rating=3, comment="meh"
    )
    [mirrored] = wait_for(lambda: opik.bodies("PUT", SCORES), what="the Opik mirror of the create")
    span = mirrored["scores"][0]["id"]
    assert mirrored == {"scores": [{"id": span, "name": "rating", "value": 3, "source": "sdk", "reason": "meh"}]}

    got = client.span_assessments.retrieve(a.assessment_id, x_project_id="proj-7")
    assert got.model_dump() == a.model_dump()
    read = scale.received[-1]
    assert (read.method, read.path, read.headers["x-project-id"]) == (
        "GET",
        f"/v5/span-assessments/{a.assessment_id}",
        "proj-7",
    )

    changed = client.span_assessments.update(a.assessment_id, rating=5)
    assert (changed.rating, changed.comment, changed.created_by) == (5, "meh", "fake-user")
    assert scale.received[-1].body == {"rating": 5}
    wait_for(lambda: len(opik.received) == 2, what="the Opik mirror of the update")
    assert opik.received[1].body == {
        "scores": [{"id": span, "name": "rating", "value": 5, "source": "sdk", "reason": "meh"}]
    }

    page = client.span_assessments.list(span_id="span-1")
    assert [i.model_dump() for i in page.items] == [changed.model_dump()]
    assert (scale.received[-1].path, scale.received[-1].query) == ("/v5/span-assessments", {"span_id": "span-1"})

    gone = client.span_assessments.delete(a.assessment_id)
    assert gone.model_dump() == {"id": a.assessment_id, "deleted": True, "object": "span.assessment"}
    wait_for(lambda: len(opik.received) == 3, what="the Opik mirror of the delete")
    last = opik.received[2]
    assert (last.method, last.path, last.body) == (
        "POST",
        f"/api/v1/private/spans/{span}/feedback-scores/delete",
        {"name": "rating"},
    )

    with pytest.raises(NotFoundError) as err:
        client.span_assessments.retrieve(a.assessment_id)
    assert err.value.body == {"detail": "Span assessment not found"}  # the fake's own answer
    settled(url)
    assert len(opik.received) == 3  # reads are not mirrored
    assert [r.method for r in scale.received] == ["POST", "GET", "PATCH", "GET", "DELETE", "GET"]
