"""A delete that comes while the create it undoes still waits in a mirror's outbox: the mirror
cannot be told yet what to delete (Scale deletes by the id it gave the create), so the delete
waits behind the create for that upstream and goes once the id is known, instead of being
skipped as something the mirror cannot take (which left the assessment at Scale)."""

from __future__ import annotations

from tests.conftest import settled, wait_for
from tests.integration.shapes import send

TRACE = "01a2105d-41f8-77e4-83f2-4905344d3b48"


def test_an_opik_delete_right_after_its_score_deletes_the_scale_assessment(live_proxy, upstreams):
    scale = upstreams["scale"]
    scale.slow = (0.4, 0.4)  # the create is still on its way when the delete is accepted
    try:
        url = live_proxy([{"from": "opik", "mirrors": ["scale"]}])
        score = {"id": TRACE, "name": "accuracy", "value": 0.5, "source": "sdk"}
        assert (
            send(url, "opik", "PUT", "/api/v1/private/traces/feedback-scores", {"scores": [score]}).status_code == 204
        )
        wait_for(lambda: scale.received, what="the create on its way")
        path = f"/api/v1/private/traces/{TRACE}/feedback-scores/delete"
        assert send(url, "opik", "POST", path, {"name": "accuracy"}).status_code == 204
        settled(url)
    finally:
        scale.slow = None
    [create, delete] = scale.received
    assert (create.method, delete.method) == ("POST", "DELETE")
    assert delete.path.startswith("/v5/span-assessments/")
    assert scale.assessments == {}
