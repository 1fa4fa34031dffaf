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


# --- trace and span writes: every field checked as the spec types it ---------------------

TRACE, SPAN = "01a2105d-41f8-77e4-83f2-4905344d3b48", "01a2105d-41f9-7a3b-8d1e-2f5b8a6c4e10"
START = "2026-01-02T03:04:05.000Z"
MIRROR_ONLY = [{"name": "opik-route", "from": "opik", "mirrors": ["scale"]}]  # no Opik upstream: the proxy answers


def span(**over) -> dict:
    return {"id": SPAN, "trace_id": TRACE, "name": "llm", "start_time": START, **over}


def refused(running, method: str, path: str, body, status: int) -> list[str] | str:
    r = HTTP.request(method, running.url + "/api/v1/private" + path, headers=OPIK, json=body)
    return assert_shape("opik", r, status)


def test_what_opiks_spec_forbids_in_a_trace_or_span_is_refused_in_opiks_shape(secure_proxy, upstreams):
    running = secure_proxy(
        routes=MIRROR_ONLY, clients=[{"name": "opik-app", "key": APP_KEYS["opik-app"], "routes": ["opik-route"]}]
    )
    jackson = "Unable to process JSON. Cannot deserialize value of type "
    # what Jackson cannot bind: 400 {"code", "message"}
    assert (
        refused(running, "POST", "/spans/batch", {"spans": [span(environment={"stage": "prod"})]}, 400)
        == jackson + "`java.lang.String` from {'stage': 'prod'} at spans[0].environment"
    )
    assert (
        refused(running, "POST", "/traces", {"start_time": START, "source": "robot"}, 400)
        == jackson + "`enum ['sdk', 'experiment', 'playground', 'optimization', 'evaluator']` from 'robot' at source"
    )
    assert (
        refused(running, "PATCH", f"/spans/{SPAN}", {"trace_id": TRACE, "metadata": 42}, 400)
        == jackson + "`com.comet.opik.api.JsonListString` from 42 at metadata"
    )
    assert (
        refused(running, "POST", "/spans", span(start_time="2026-01-02T25:00:00Z"), 400)
        == jackson + "`java.time.Instant` from '2026-01-02T25:00:00Z' at startTime"
    )
    assert (
        refused(running, "POST", "/spans", span(usage={"prompt_tokens": "many"}), 400)
        == jackson + "`java.lang.Integer` from 'many' at usage.promptTokens"
    )
    # what binds but breaks a constraint: 422 {"errors": [...]}
    no_trace = {k: v for k, v in span().items() if k != "trace_id"}
    assert refused(running, "POST", "/spans/batch", {"spans": [span(), no_trace]}, 422) == [
        "spans[1].traceId must not be null"
    ]
    assert refused(running, "PATCH", f"/traces/{TRACE}", {"environment": "e" * 151, "tags": ["a", "a"]}, 422) == [
        "tags must only contain unique elements",
        "environment size must be between 0 and 150",
    ]
    no_type = {"traces": [{"start_time": START, "error_info": {"message": "boom"}}]}
    assert refused(running, "POST", "/traces/batch", no_type, 422) == [
        "traces[0].errorInfo.exceptionType must not be null",
        "traces[0].errorInfo.traceback must not be null",
    ]
    assert refused(running, "PATCH", f"/traces/{TRACE}", None, 422) == ["must not be null"]
    assert refused(running, "POST", "/spans", span(usage={"prompt_tokens": 2**31}), 422) == [
        "usage.promptTokens must be less than or equal to 2147483647"
    ]
    assert running.accepted() == 0 and upstreams["scale"].received == []
