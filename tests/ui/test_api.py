"""The operator UI's JSON API, without a browser: the admin key, upstream health,
recent requests with what each upstream received, dead letters, the playground."""

from __future__ import annotations

import hashlib

import httpx

from tests.conftest import FAST_DELIVERY, UPSTREAM_KEYS, VENDORS, wait_for
from tests.ui.conftest import ADMIN_KEY, OPIK_TO_OPIK_MIRROR_SCALE, admin, api, evaluate, post, put_scores, trace_score

API_GETS = ("/ui/api/status", "/ui/api/requests", "/ui/api/request?id=x", "/ui/api/dead-letters", "/ui/api/vendors")
API_POSTS = ("/ui/api/dead-letters/replay", "/ui/api/dead-letters/drop", "/ui/api/translate")


def test_without_an_admin_key_in_the_config_the_ui_is_off(live_proxy):
    url = live_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    page = httpx.get(url + "/ui")
    assert page.status_code == 404 and "set admin.key" in page.text
    for path in API_GETS:
        got = httpx.get(url + path, headers=admin())
        assert got.status_code == 404 and "the operator UI is off" in got.json()["error"], path
    for path in API_POSTS:
        assert httpx.post(url + path, json={}, headers=admin()).status_code == 404
    assert put_scores(url, trace_score()).status_code == 204  # the vendor paths are unchanged


def test_no_key_or_a_wrong_key_is_refused(ui_proxy):
    url = ui_proxy()
    for path in API_GETS:
        for headers in (
            {},
            admin("not-the-admin-key-000"),
            {"Authorization": ADMIN_KEY},
            {"X-Admin-Key": ADMIN_KEY[:-1]},
        ):
            got = httpx.get(url + path, headers=headers)
            assert got.status_code == 401 and got.headers["www-authenticate"].startswith("Bearer"), (path, headers)
            assert "admin key" in got.json()["error"]
    for path in API_POSTS:
        assert httpx.post(url + path, json={"ids": [1]}).status_code == 401
    assert httpx.get(url + "/ui/api/status", headers={"X-Admin-Key": ADMIN_KEY}).status_code == 200
    assert httpx.get(url + "/ui/api/status", headers=admin()).status_code == 200


def test_the_admin_key_may_be_given_as_its_sha256(ui_proxy):
    url = ui_proxy(admin={"key_sha256": hashlib.sha256(ADMIN_KEY.encode()).hexdigest()})
    assert httpx.get(url + "/ui/api/status", headers=admin()).status_code == 200
    assert httpx.get(url + "/ui/api/status", headers=admin(ADMIN_KEY + "x")).status_code == 401


def test_the_page_is_served_with_a_strict_policy(ui_proxy):
    url = ui_proxy()
    for path, kind in (
        ("/ui", "text/html"),
        ("/ui/", "text/html"),
        ("/ui/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
    ):
        got = httpx.get(url + path)
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind), path
        assert (
            "script-src 'self'" in got.headers["content-security-policy"] and got.headers["x-frame-options"] == "DENY"
        )
    assert (
        "sessionStorage" in httpx.get(url + "/ui/app.js").text and "innerHTML" not in httpx.get(url + "/ui/app.js").text
    )


def test_a_delivered_record_shows_what_each_upstream_received(ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    assert put_scores(url, trace_score(7), **{"X-Request-Id": "client-req-7"}).status_code == 204
    wait_for(lambda: upstreams["scale"].received, what="the Scale mirror")
    entry = wait_for(
        lambda: [r for r in api(url, "/ui/api/requests")["requests"] if len(r["attempts"]) == 2], what="both attempts"
    )[0]
    assert (entry["vendor"], entry["endpoint"], entry["status"], entry["client_request_id"]) == (
        "opik",
        "traces_scores",
        204,
        "client-req-7",
    )
    detail = api(url, "/ui/api/request", id="client-req-7")  # found by the client's id too
    assert detail["request_id"] == entry["request_id"]
    primary, mirror = detail["attempts"]
    assert (primary["upstream"], primary["via"], primary["method"], primary["path"], primary["status"]) == (
        "opik",
        "inline",
        "PUT",
        "/v1/private/traces/feedback-scores",
        204,
    )
    assert primary["sent"]["json"] == {"scores": [trace_score(7)]}  # forwarded as it came
    assert (
        mirror["upstream"],
        mirror["via"],
        mirror["method"],
        mirror["path"],
        mirror["status"],
        mirror["attempt"],
    ) == ("scale", "outbox", "POST", "/v5/span-assessments", 200, 1)
    assert mirror["sent"]["json"] == upstreams["scale"].received[0].body  # exactly what the fake received
    status = {u["name"]: u for u in api(url, "/ui/api/status")["upstreams"]}
    assert status["scale"]["circuit"] == "closed" and status["scale"]["delivered_last_minute"] == 1
    assert (
        status["scale"]["last_success_at"] and status["scale"]["last_error"] is None and status["scale"]["waiting"] == 0
    )
    assert status["opik"]["last_success_at"] and status["tracia"]["last_success_at"] is None
    assert "X-Admin" not in str(detail) and ADMIN_KEY not in str(detail)


def test_a_failing_mirror_opens_its_circuit_and_says_why(ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE, delivery={**FAST_DELIVERY, "breaker": {"failures": 2, "cooldown": 60}})
    upstreams["scale"].fail_next(50, 503, {"detail": "scale is down for maintenance"})
    assert put_scores(url, trace_score(1)).status_code == 204
    scale = wait_for(
        lambda: [u for u in api(url, "/ui/api/status")["upstreams"] if u["name"] == "scale" and u["circuit"] == "open"],
        what="the Scale circuit to open",
    )[0]
    assert (
        scale["last_error"].startswith("503 to POST /v5/span-assessments")
        and "down for maintenance" in scale["last_error"]
    )
    assert scale["waiting"] == 1 and scale["failures_in_a_row"] >= 2 and scale["last_error_at"]
    attempts = api(url, "/ui/api/requests")["requests"][0]["attempts"]
    assert [a["attempt"] for a in attempts if a["upstream"] == "scale"] == [1, 2]


def test_dead_letters_are_listed_replayed_and_dropped(ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    upstreams["scale"].fail_next(2, 400, {"detail": "trace not found"})
    for i in (1, 2):
        assert put_scores(url, trace_score(i, name=f"score-{i}")).status_code == 204
    letters = wait_for(
        lambda: (
            len(api(url, "/ui/api/dead-letters")["dead_letters"]) == 2
            and api(url, "/ui/api/dead-letters")["dead_letters"]
        ),
        what="two dead letters",
    )
    first, second = letters
    assert (
        first["summary"] == "upsert trace score-1"
        and "400" in first["last_error"]
        and "trace not found" in first["last_error"]
    )
    assert first["record"]["trace_id"] == ["opik", trace_score(1)["id"]] and first["upstream"] == "scale"
    refused = upstreams["scale"].received[0].body
    assert post(url, "/ui/api/dead-letters/replay", {"ids": [first["id"]]}).json() == {"replayed": 1}
    wait_for(lambda: len(upstreams["scale"].received) == 3, what="the replayed letter at Scale")
    again = upstreams["scale"].received[2].body
    assert again == refused and again["trace_id"] == trace_score(1)["id"] and again["metadata"]["name"] == "score-1"
    assert post(url, "/ui/api/dead-letters/drop", {"ids": [second["id"]]}).json() == {"dropped": 1}
    wait_for(lambda: api(url, "/ui/api/dead-letters")["dead_letters"] == [], what="no dead letters left")
    assert post(url, "/ui/api/dead-letters/drop", {"ids": [second["id"]]}).json() == {"dropped": 0}
    assert post(url, "/ui/api/dead-letters/replay", {"ids": ["1"]}).status_code == 400
    assert post(url, "/ui/api/dead-letters/replay", {"all": True}).json() == {"replayed": 0}
    assert {u["name"]: u["dead"] for u in api(url, "/ui/api/status")["upstreams"]}["scale"] == 0


def test_replay_all_of_one_upstream(ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    upstreams["scale"].fail_next(3, 422, {"detail": "no"})
    assert put_scores(url, *(trace_score(i) for i in range(3))).status_code == 204
    wait_for(
        lambda: len(api(url, "/ui/api/dead-letters", upstream="scale")["dead_letters"]) == 3, what="three dead letters"
    )
    assert api(url, "/ui/api/dead-letters", upstream="opik")["dead_letters"] == []
    assert post(url, "/ui/api/dead-letters/replay", {"all": True, "upstream": "scale"}).json() == {"replayed": 3}
    wait_for(lambda: len(upstreams["scale"].received) == 6, what="three replayed")


def test_the_playground_translates_and_reports_what_is_lost(ui_proxy):
    url = ui_proxy()
    vendors = api(url, "/ui/api/vendors")["vendors"]
    assert set(vendors) == set(VENDORS)
    assert {
        "name": "evaluate",
        "method": "POST",
        "path": "/api/v1/spans/{spanId}/evaluations",
        "feedback": True,
    } in vendors["tracia"]
    envelope = {
        "path": "/api/v1/spans/sp_0123456789abcdef/evaluations",
        "body": {"evaluatorKey": "quality", "value": 0.75, "note": "meh", "colour": "red"},
    }
    out = post(url, "/ui/api/translate", {"from": "tracia", "to": "opik", "endpoint": "", "payload": envelope}).json()
    assert (out["from"], out["to"]) == ("tracia evaluate", "opik")
    [req] = out["requests"]
    assert (req["method"], req["path"]) == ("PUT", "/v1/private/spans/feedback-scores")
    assert {k: req["body"]["scores"][0][k] for k in ("name", "value", "reason")} == {
        "name": "quality",
        "value": 0.75,
        "reason": "meh",
    }
    rows = {r["input"]: r for r in out["report"]}
    assert rows["body.evaluatorKey"]["status"] == "kept" and rows["body.evaluatorKey"]["output"] == "scores[].name"
    assert rows["body.colour"]["status"] == "dropped"
    assert "loss report: tracia evaluate -> opik" in out["report_text"]
    bad = post(
        url,
        "/ui/api/translate",
        {
            "from": "tracia",
            "to": "opik",
            "endpoint": "evaluate",
            "payload": {"params": {"spanId": "sp_1"}, "body": {"value": 1}},
        },
    )
    assert bad.status_code == 422 and "evaluatorKey" in bad.json()["error"]
    assert post(url, "/ui/api/translate", {"from": "nowhere", "to": "opik", "payload": {}}).status_code == 400
    assert post(url, "/ui/api/translate", {"to": "opik"}).status_code == 400
    assert httpx.post(url + "/ui/api/translate", content=b"{not json", headers=admin()).status_code == 400


def test_api_bodies_are_held_to_the_limits(ui_proxy):
    url = ui_proxy(limits={"max_body_bytes": 2000})
    big = {"from": "tracia", "to": "opik", "payload": {"body": {"evaluatorKey": "x" * 3000, "value": 1}}}
    assert post(url, "/ui/api/translate", big).status_code == 413


def test_secrets_are_cut_from_what_the_ui_shows(ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    leaky = trace_score(3, reason=f"pasted {UPSTREAM_KEYS['scale']} and {ADMIN_KEY} by mistake")
    assert put_scores(url, leaky).status_code == 204
    wait_for(lambda: upstreams["scale"].received, what="the mirror")
    entry = wait_for(
        lambda: [r for r in api(url, "/ui/api/requests")["requests"] if len(r["attempts"]) == 2], what="both attempts"
    )[0]
    shown = httpx.get(url + "/ui/api/request", params={"id": entry["request_id"]}, headers=admin()).text
    assert UPSTREAM_KEYS["scale"] not in shown and ADMIN_KEY not in shown and shown.count("[redacted]") >= 2


def test_recent_requests_filter_and_404s(ui_proxy):
    url = ui_proxy()
    assert evaluate(url, **{"X-Request-Id": "find-me-please"}).status_code == 200
    assert put_scores(url, trace_score()).status_code == 404  # no route for Opik clients on this proxy
    assert [r["client_request_id"] for r in api(url, "/ui/api/requests", q="find-me")["requests"]] == ["find-me-please"]
    found = api(url, "/ui/api/requests", q="404")["requests"]
    # the 404 is found by its status; the 200 only if its random hex request id happens to hold "404"
    assert [r["status"] for r in found].count(404) == 1
    assert all(r["status"] == 404 or "404" in r["request_id"] for r in found)
    got = httpx.get(url + "/ui/api/request", params={"id": "nope"}, headers=admin())
    assert got.status_code == 404 and "no such request" in got.json()["error"]


def test_an_upstreams_health_counts_dead_letters_up_to_a_bound():
    from proxy.config import Upstream
    from proxy.metrics import Metrics
    from proxy.observe import Observer
    from proxy.ui import views

    up = Upstream(vendor="scale", base_url="http://user:pw@h:1/v")
    observer = Observer({"scale": up})
    many = views.upstream_health(
        "scale",
        up,
        None,
        observer,
        {"waiting": 3, "oldest": 90.0, "dead": views.DEAD_COUNTED + 1},
        Metrics(),
        now=100.0,
    )
    assert (many["dead"], many["dead_more"], many["waiting"], many["oldest_age"], many["circuit"]) == (
        views.DEAD_COUNTED,
        True,
        3,
        10.0,
        "closed",
    )
    assert many["origin"] == "http://h:1/v"  # no user:password shown
