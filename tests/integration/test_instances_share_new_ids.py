"""Two instances on one store, each naming a span neither has seen (as live feedback does): the id
each makes for the primary is claimed with no store call on the request path and settled by the
group commit before the send (proxy/store/cached_ids.py), so both send the one kept first."""

from __future__ import annotations

import time

from tests.conftest import wait_for
from tests.integration.shapes import send

ROUTE = {"from": "tracia", "primary": "opik"}
SCORES = "/api/v1/private/spans/feedback-scores"


def span_scores(opik) -> list[dict]:
    return [s for r in opik.received if r.path.endswith(SCORES) for s in r.body["scores"]]


def test_both_instances_score_the_span_under_the_id_the_first_made(live_proxy, upstreams, tmp_path):
    store = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = live_proxy([ROUTE], store=store), live_proxy([ROUTE], store=store)
    path = "/api/v1/spans/sp_00000000000000e1/evaluations"
    assert send(first, "tracia", "POST", path, {"evaluatorKey": "quality", "value": 1}).status_code == 200
    time.sleep(0.005)  # the second makes its own UUIDv7 (a later millisecond), and must give it up
    assert send(second, "tracia", "POST", path, {"evaluatorKey": "helpful", "value": 0}).status_code == 200
    assert (
        send(
            first,
            "tracia",
            "POST",
            "/api/v1/spans/sp_00000000000000e2/evaluations",
            {"evaluatorKey": "quality", "value": 1},
        ).status_code
        == 200
    )
    scores = wait_for(lambda: (s := span_scores(upstreams["opik"])) and len(s) == 3 and s, what="three scores")
    assert scores[0]["id"] == scores[1]["id"], scores
    assert scores[2]["id"] != scores[0]["id"]
    assert [s["name"] for s in scores] == ["quality", "helpful", "quality"]
