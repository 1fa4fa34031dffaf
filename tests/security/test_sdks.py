"""Each vendor's own SDK, changed only in its base URL and key, works through a proxy
that checks keys; with a wrong key it raises its own authentication error. The
client's key never reaches an upstream: each gets its configured credentials."""

from __future__ import annotations

import pytest

from tests.conftest import assert_upstream_credentials, wait_for
from tests.security.conftest import APP_KEYS, WRONG_KEY

UUID7 = "01a2105d-41f8-77e4-83f2-4905344d3b48"


@pytest.fixture(autouse=True)
def _credentials_checked(upstreams):
    yield
    assert_upstream_credentials(upstreams)


def test_opik_sdk(secure_proxy, upstreams, monkeypatch):
    import opik
    from opik.rest_api.core.api_error import ApiError

    url = secure_proxy().url
    monkeypatch.setenv("OPIK_URL_OVERRIDE", url + "/api")
    client = opik.Opik(api_key=APP_KEYS["opik-app"], workspace="default", project_name="sec")
    try:
        client.log_traces_feedback_scores([{"id": UUID7, "name": "accuracy", "value": 0.9}])
        assert client.flush() is True
    finally:
        client.end()
    [got] = upstreams["opik"].received
    assert (got.method, got.path) == ("PUT", "/api/v1/private/traces/feedback-scores")
    assert got.body["scores"][0]["id"] == UUID7
    wait_for(lambda: upstreams["scale"].received, what="the Scale mirror")

    for key, status in ((WRONG_KEY, 401), (APP_KEYS["scale-app"], 403)):
        other = opik.Opik(api_key=key, workspace="default", project_name="sec")
        try:
            with pytest.raises(ApiError) as err:
                other.rest_client.traces.add_trace_feedback_score(UUID7, name="accuracy", value=1, source="sdk")
        finally:
            other.end()
        assert err.value.status_code == status and err.value.body["code"] == status
    assert len(upstreams["opik"].received) == 1


def test_tracia_sdk(secure_proxy, upstreams):
    from tracia import EvaluateOptions, Tracia, TraciaError
    from tracia._errors import TraciaErrorCode

    url = secure_proxy().url
    with Tracia(api_key=APP_KEYS["tracia-app"], base_url=url) as client:
        result = client.spans.evaluate(
            "sp_0123456789abcdef", EvaluateOptions(evaluator="quality", value=1, note="fine")
        )
    assert result.evaluator_key == "quality" and result.id.startswith("eval_fake")
    [got] = upstreams["tracia"].received
    assert got.body == {"evaluatorKey": "quality", "value": 1, "note": "fine"}

    with Tracia(api_key=WRONG_KEY, base_url=url) as client:
        with pytest.raises(TraciaError) as err:
            client.spans.evaluate("sp_0123456789abcdef", EvaluateOptions(evaluator="quality", value=1))
    assert (err.value.code, err.value.status_code) == (TraciaErrorCode.UNAUTHORIZED, 401)
    with Tracia(api_key=APP_KEYS["opik-app"], base_url=url) as client:
        with pytest.raises(TraciaError) as err:
            client.spans.evaluate("sp_0123456789abcdef", EvaluateOptions(evaluator="quality", value=1))
    assert err.value.status_code == 403
    assert len(upstreams["tracia"].received) == 1


def test_scale_sdk(secure_proxy, upstreams, monkeypatch):
    from scale_gp_beta import AuthenticationError, PermissionDeniedError, SGPClient

    url = secure_proxy().url
    monkeypatch.setenv("SGP_CLIENT_BASE_URL", url)
    client = SGPClient(api_key=APP_KEYS["scale-app"], account_id="acct_client")
    a = client.span_assessments.create(assessment_type="rating", trace_id="trace-1", span_id="span-1", rating=4)
    assert a.rating == 4 and a.assessment_id
    assert client.span_assessments.retrieve(a.assessment_id).rating == 4
    assert [(r.method, r.path) for r in upstreams["scale"].received] == [
        ("POST", "/v5/span-assessments"),
        ("GET", f"/v5/span-assessments/{a.assessment_id}"),
    ]

    with pytest.raises(AuthenticationError) as err:
        SGPClient(api_key=WRONG_KEY, account_id="acct_client", max_retries=0).span_assessments.create(
            assessment_type="rating", trace_id="trace-1", rating=4
        )
    assert err.value.status_code == 401 and set(err.value.body) == {"detail"}
    with pytest.raises(PermissionDeniedError) as err:
        SGPClient(api_key=APP_KEYS["tracia-app"], account_id="acct_client", max_retries=0).span_assessments.retrieve(
            a.assessment_id
        )
    assert err.value.status_code == 403
    assert len(upstreams["scale"].received) == 2
