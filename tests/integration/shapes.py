"""What a rejection looks like in each vendor's own shape, and the bar every answer
must clear: never a 500, never a stack trace."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import CLIENT_HEADERS

UUID7 = "01a2105d-41f8-77e4-83f2-4905344d3b48"
SPAN = "sp_0123456789abcdef"
# one valid request per client vendor: (method, path, body)
VALID = {
    "opik": (
        "PUT",
        "/api/v1/private/spans/feedback-scores",
        {"scores": [{"id": UUID7, "name": "quality", "value": 1, "source": "sdk"}]},
    ),
    "tracia": ("POST", f"/api/v1/spans/{SPAN}/evaluations", {"evaluatorKey": "quality", "value": 1}),
    "scale": (
        "POST",
        "/v5/span-assessments",
        {"assessment_type": "approval", "trace_id": "trace-1", "span_id": "span-1", "approval": "approved"},
    ),
    "langfuse": (
        "POST",
        "/api/public/scores",
        {"traceId": "trace-1", "observationId": "span-1", "name": "quality", "value": 1},
    ),
    "otel": (
        "POST",
        "/v1/logs",
        {
            "resourceLogs": [
                {
                    "scopeLogs": [
                        {
                            "logRecords": [  # OTLP JSON
                                {
                                    "eventName": "gen_ai.evaluation.result",
                                    "traceId": "fff5fdfd76f7dc2a4b39478468ffe4aa",
                                    "spanId": "9d0f26da9c6b6d23",
                                    "attributes": [
                                        {"key": "gen_ai.evaluation.name", "value": {"stringValue": "quality"}},
                                        {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": 1.0}},
                                    ],
                                }
                            ]
                        }
                    ]
                }
            ]
        },
    ),
}


HTTP = httpx.Client(timeout=20)  # one for the session: making a client costs ~0.1 s


def send(
    url: str, vendor: str, method: str, path: str, body: Any = None, content: bytes | None = None, **headers: str
) -> httpx.Response:
    hdrs = {**CLIENT_HEADERS[vendor], **headers}
    if content is not None:
        resp = HTTP.request(method, url + path, content=content, headers={"content-type": "application/json", **hdrs})
    else:
        resp = HTTP.request(method, url + path, json=body, headers=hdrs)
    assert_clean(resp)
    return resp


def send_valid(url: str, vendor: str) -> httpx.Response:
    return send(url, vendor, *VALID[vendor])


def assert_clean(resp: httpx.Response) -> None:
    assert resp.status_code != 500, resp.text
    for leak in ("Traceback", 'File "', "Error(", "proxy/"):
        assert leak not in resp.text, resp.text


def opik_error(resp: httpx.Response, status: int, message: str | None = None) -> str:
    """Dropwizard's {"code","message"}; -> the message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"code", "message"} and body["code"] == status, body
    if message is not None:
        assert body["message"] == message
    return body["message"]


def opik_errors(resp: httpx.Response, status: int = 422) -> list[str]:
    """Bean validation (and conflicts): {"errors": [...]}."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert list(body) == ["errors"] and body["errors"] and all(isinstance(e, str) for e in body["errors"]), body
    return body["errors"]


def tracia_error(resp: httpx.Response, status: int, code: str) -> str:
    """The SDKs read {"error":{code,message}}; the docs show flat copies. -> the message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    message = body["error"]["message"]
    assert body == {"error": {"code": code, "message": message}, "code": code, "message": message}
    assert isinstance(message, str) and message
    return message


def scale_detail(resp: httpx.Response, status: int) -> Any:
    """FastAPI: {"detail": "..."} or, for 422 validation, {"detail": [{type, loc, msg, ...}]}."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert list(body) == ["detail"], body
    return body["detail"]


def rpc_status(resp: httpx.Response, status: int) -> str:
    """OTLP's google.rpc.Status, as JSON for a JSON request: {"code": a gRPC code, "message"}. -> the message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"code", "message"} and 0 < body["code"] <= 16 and isinstance(body["message"], str), body
    return body["message"]


def error_of(vendor: str, resp: httpx.Response, status: int) -> str:
    """The message of a non-validation rejection, in whichever vendor shape `vendor` uses."""
    if vendor == "otel":
        return rpc_status(resp, status)
    if vendor == "opik":
        return opik_error(resp, status)
    if vendor == "langfuse":  # {"message", "error": <class>} (auth: {"message"} alone)
        assert resp.status_code == status, resp.text
        body = resp.json()
        assert set(body) <= {"message", "error"} and isinstance(body["message"], str), body
        return body["message"]
    if vendor == "tracia":
        return tracia_error(
            resp,
            status,
            {
                400: "INVALID_REQUEST",
                404: "NOT_FOUND",
                405: "INVALID_REQUEST",
                409: "CONFLICT",
                413: "INVALID_REQUEST",
                422: "INVALID_REQUEST",
                429: "RATE_LIMITED",
            }.get(status, "PROVIDER_ERROR"),
        )
    detail = scale_detail(resp, status)
    assert isinstance(detail, str)
    return detail
