"""What Opik's published spec allows, as Opik's Java server reads it, through a live proxy:
accepted and passed on as sent; what it forbids refused in Opik's own shape, never a 204
and never a 5xx."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.security.conftest import APP_KEYS, HTTP, UUID7, assert_shape, key_headers

OPIK = key_headers("opik", APP_KEYS["opik-app"])
SCORES = "/api/v1/private/traces/feedback-scores"


def score(project_name: str) -> dict:
    return {"id": UUID7, "name": "accuracy", "value": 0.5, "source": "sdk", "project_name": project_name}


def test_project_names_java_finds_not_blank_reach_opik_as_sent(secure_proxy, upstreams):
    running = secure_proxy()
    names = ["\x85", "\u2003", "\u00a0", " \u2003team\u00a0 "]  # Unicode's whitespace; not Java's \s
    r = HTTP.put(running.url + SCORES, headers=OPIK, json={"scores": [score(n) for n in names]})
    assert r.status_code == 204, r.text
    [sent] = wait_for(lambda: upstreams["opik"].bodies("PUT", SCORES + "$"), what="the scores at Opik")
    assert [s["project_name"] for s in sent["scores"]] == names


def test_a_project_name_of_java_whitespace_only_is_opiks_422(secure_proxy, upstreams):
    running = secure_proxy()
    r = HTTP.put(running.url + SCORES, headers=OPIK, json={"scores": [score("\u2003"), score(" \x0b\t")]})
    assert assert_shape("opik", r, 422) == ['scores[1].projectName must match "(?s)^\\s*(\\S.*\\S|\\S)\\s*$"']
    assert running.accepted() == 0 and upstreams["opik"].received == []
