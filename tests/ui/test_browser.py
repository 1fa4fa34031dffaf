"""The operator page in a real headless Chromium (Debian's, driven by Playwright): it
signs in with the admin key, shows a delivered record and an upstream's circuit,
replays and drops dead letters, runs the translate playground, and shows hostile
payloads as text. Every test also fails on any script error or console error (a
Content-Security-Policy violation is one)."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import FAST_DELIVERY, wait_for
from tests.ui.conftest import ADMIN_KEY, OPIK_TO_OPIK_MIRROR_SCALE, api, launch_chromium, put_scores, trace_score

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
TIMEOUT = 10_000  # ms: what the page may take to show what the proxy did
# The browser reports every answer of 400 and above; these two the tests cause on purpose (a wrong key, a bad payload).
EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of (401|422)\b")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not EXPECTED.search(msg.text)
            else None
        ),
    )
    yield page
    context.close()
    assert problems == []


def sign_in(page, url: str, key: str = ADMIN_KEY) -> None:
    page.goto(url + "/ui")
    page.fill("#key", key)
    page.click("#login-form button[type=submit]")


def expect(page, selector: str, text: str | re.Pattern) -> None:
    from playwright.sync_api import expect as playwright_expect

    playwright_expect(page.locator(selector).first).to_contain_text(text, timeout=TIMEOUT)


def test_no_key_or_a_wrong_key_shows_nothing(page, ui_proxy):
    url = ui_proxy()
    page.goto(url + "/ui")
    assert page.is_visible("#login") and not page.is_visible("#main")
    assert page.evaluate("fetch('/ui/api/status').then(r => r.status)") == 401
    sign_in(page, url, "not-the-admin-key-000")
    expect(page, "#login-error", "the admin key is not valid")
    assert not page.is_visible("#main") and page.evaluate("sessionStorage.length") == 0


def test_the_page_shows_a_delivered_record_and_an_upstreams_open_circuit(page, ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE, delivery={**FAST_DELIVERY, "breaker": {"failures": 2, "cooldown": 60}})
    assert put_scores(url, trace_score(1, name="accuracy")).status_code == 204
    wait_for(lambda: upstreams["scale"].received, what="the first record at Scale")
    upstreams["scale"].fail_next(100, 503, {"detail": "scale is down for maintenance"})
    assert put_scores(url, trace_score(2, name="helpfulness")).status_code == 204
    sign_in(page, url)
    expect(page, "#upstream-rows tr[data-upstream=scale]", "open")
    expect(page, "#upstream-rows tr[data-upstream=scale]", "503 to POST /v5/span-assessments")
    expect(page, "#upstream-rows tr[data-upstream=scale]", "scale is down for maintenance")
    expect(page, "#upstream-rows tr[data-upstream=opik]", "closed")
    first = api(url, "/ui/api/requests")["requests"][-1]["request_id"]
    row = page.locator(f"#request-rows tr[data-request-id='{first}']")
    expect(page, f"#request-rows tr[data-request-id='{first}']", "scale 200")
    expect(page, f"#request-rows tr[data-request-id='{first}']", "opik 204")
    row.click()
    expect(page, "#request-detail .attempt[data-upstream=scale]", "POST /v5/span-assessments")
    sent = page.locator("#request-detail .attempt[data-upstream=scale] pre.sent").text_content()
    assert '"trace_id": "01a20c41-cda1-7a06-b0a1-000000000001"' in sent and '"name": "accuracy"' in sent
    expect(page, "#request-detail .attempt[data-upstream=opik]", "inline · attempt 1")
    assert "sign out" in page.locator("#logout").text_content().lower()


def test_a_dead_letter_is_replayed_and_another_dropped(page, ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    upstreams["scale"].fail_next(2, 400, {"detail": "trace not found"})
    assert put_scores(url, trace_score(1, name="first-letter")).status_code == 204
    assert put_scores(url, trace_score(2, name="second-letter")).status_code == 204
    wait_for(lambda: len(api(url, "/ui/api/dead-letters")["dead_letters"]) == 2, what="two dead letters")
    refused = {r.body["metadata"]["name"]: r.body for r in upstreams["scale"].received}
    first, second = api(url, "/ui/api/dead-letters")["dead_letters"]
    sign_in(page, url)
    expect(page, f"#dead-rows tr[data-dead-id='{first['id']}']", "upsert trace first-letter")
    expect(page, f"#dead-rows tr[data-dead-id='{first['id']}']", "trace not found")
    page.click(f"#dead-rows tr[data-dead-id='{first['id']}'] button.replay")
    expect(page, "#dead-message", "replayed 1 dead letter(s)")
    wait_for(lambda: len(upstreams["scale"].received) == 3, what="the replayed letter at Scale")
    replayed = upstreams["scale"].received[2]
    assert (replayed.method, replayed.path) == ("POST", "/v5/span-assessments")
    for field, value in refused["first-letter"].items():  # field by field, what was refused the first time
        assert replayed.body[field] == value, field
    assert replayed.body["trace_id"] == trace_score(1)["id"] and replayed.body["metadata"]["name"] == "first-letter"
    page.locator(f"#dead-rows tr[data-dead-id='{first['id']}']").wait_for(state="detached")
    page.click(f"#dead-rows tr[data-dead-id='{second['id']}'] button.drop")
    expect(page, "#dead-message", "dropped 1 dead letter(s)")
    page.locator(f"#dead-rows tr[data-dead-id='{second['id']}']").wait_for(state="detached")
    expect(page, "#dead-rows", "no dead letters")
    assert api(url, "/ui/api/dead-letters")["dead_letters"] == [] and len(upstreams["scale"].received) == 3


def test_the_playground_translates_a_tracia_evaluation_to_opik(page, ui_proxy):
    url = ui_proxy()
    sign_in(page, url)
    page.locator("#pg-from option[value=tracia]").wait_for(state="attached")
    page.select_option("#pg-from", "tracia")
    page.select_option("#pg-to", "opik")
    page.select_option("#pg-endpoint", "evaluate")
    page.fill(
        "#pg-payload",
        '{"params": {"spanId": "sp_0123456789abcdef"}, '
        '"body": {"evaluatorKey": "quality", "value": 0.75, "note": "close enough", "colour": "red"}}',
    )
    page.click("#pg-run")
    expect(page, "#pg-title", "tracia evaluate → opik")
    expect(page, "#pg-requests .out .head", "PUT /v1/private/spans/feedback-scores")
    body = page.locator("#pg-requests .out pre").first.text_content()
    assert '"name": "quality"' in body and '"value": 0.75' in body and '"reason": "close enough"' in body
    expect(page, "#pg-report tr.report-kept", "body.evaluatorKey")
    expect(page, "#pg-report tr.report-dropped", "body.colour")
    page.fill("#pg-payload", '{"body": {"value": 1}}')
    page.click("#pg-run")
    expect(page, "#pg-error", "evaluatorKey")
    page.click("#pg-example")
    assert "sp_0123456789abcdef" in page.input_value("#pg-payload")


def test_a_hostile_feedback_name_is_shown_as_text(page, ui_proxy, upstreams):
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    hostile = '<img src=x onerror="window.__xss=1">'
    reason = "<script>window.__xss=2</script>"
    upstreams["scale"].fail_next(1, 400, {"detail": hostile})
    assert (
        put_scores(url, trace_score(9, name=hostile, reason=reason), **{"X-Request-Id": "<b>bold</b>"}).status_code
        == 204
    )
    wait_for(lambda: api(url, "/ui/api/dead-letters")["dead_letters"], what="the dead letter")
    sign_in(page, url)
    expect(page, "#dead-rows", f"upsert trace {hostile}")
    page.locator("#request-rows tr").first.click()
    expect(
        page, "#request-detail .attempt[data-upstream=opik] pre.sent", json.dumps(hostile)
    )  # as the JSON sent, quotes escaped
    expect(page, "#request-detail .attempt[data-upstream=opik] pre.sent", reason)
    expect(page, "#request-detail", "client <b>bold</b>")
    assert page.evaluate("window.__xss") is None
    assert page.locator("img").count() == 0 and page.locator("#main script, #main b").count() == 0
