"""Structured logs: a JSON object a line, the request id on every line from ingress to
every upstream attempt, a human format on a terminal, secrets cut from every field."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys

import httpx
import pytest

from proxy import logs
from proxy.testing import free_port
from tests.conftest import UPSTREAM_HEADERS, UPSTREAM_KEYS, wait_for
from tests.ui.conftest import ADMIN_KEY, OPIK_TO_OPIK_MIRROR_SCALE, put_scores, trace_score


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def captured():
    """captured(fmt="json", level="info", stream=None) -> the stream the root logger now writes to; undone after."""
    root = logging.getLogger()
    level = root.level

    def start(fmt: str = "json", level: str = "info", stream=None):
        stream = stream if stream is not None else io.StringIO()
        logs.configure(level, fmt, stream)
        return stream

    yield start
    if logs._handler is not None:
        root.removeHandler(logs._handler)
        logs._handler = None
    root.setLevel(level)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_one_json_line_per_event_with_the_request_id_from_ingress_to_the_mirror(captured, ui_proxy, upstreams):
    out = captured("json")
    url = ui_proxy(OPIK_TO_OPIK_MIRROR_SCALE)
    upstreams["scale"].fail_next(1, 503, {"detail": "busy"})
    assert put_scores(url, trace_score(1), **{"X-Request-Id": "client-42"}).status_code == 204
    wait_for(lambda: len(upstreams["scale"].received) == 2, what="the mirror's retry")
    wait_for(lambda: "delivered 1 record(s) to scale" in out.getvalue(), what="the delivery's line")
    every = lines(out)  # each line is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(line) for line in every)
    ingress = [line for line in every if line.get("client_request_id") == "client-42"]
    rid = ingress[0]["request_id"]
    mine = [line for line in every if line.get("request_id") == rid or rid in line.get("request_ids", [])]
    answered = next(line for line in mine if line["logger"] == "proxy" and "-> 204" in line["msg"])
    assert {k: answered[k] for k in ("method", "path", "vendor", "endpoint", "status")} == {
        "method": "PUT",
        "path": "/api/v1/private/traces/feedback-scores",
        "vendor": "opik",
        "endpoint": "traces_scores",
        "status": 204,
    }
    assert answered["duration_ms"] > 0 and answered["client_request_id"] == "client-42"
    attempts = [
        (line["upstream"], line["via"], line["status"], line["attempt"])
        for line in mine
        if line.get("event") == "upstream.attempt"
    ]
    assert attempts == [("opik", "inline", 204, 1), ("scale", "outbox", 503, 1), ("scale", "outbox", 200, 2)]
    failed = next(line for line in mine if "delivery to scale failed" in line["msg"])
    delivered = next(line for line in mine if "delivered 1 record(s) to scale" in line["msg"])
    assert (failed["level"], failed["upstream"], failed["attempt"]) == ("warning", "scale", 1)
    assert (delivered["upstream"], delivered["request_ids"], delivered["attempt"]) == ("scale", [rid], 2)
    assert not any(UPSTREAM_KEYS["scale"] in json.dumps(line) for line in every)


def test_the_human_format_on_a_terminal(captured):
    out = captured("auto", stream=Terminal())
    logging.getLogger("proxy.test").info("hello %s", "there", extra={"upstream": "scale", "status": 503})
    text = out.getvalue()
    assert "INFO" in text and "proxy.test" in text and "hello there" in text and "upstream=scale status=503" in text
    with pytest.raises(ValueError):
        json.loads(text)
    out = captured("auto")  # not a terminal: JSON
    logging.getLogger("proxy.test").info("hello")
    assert lines(out)[0]["msg"] == "hello"


def test_the_level_is_the_configs_and_secrets_are_cut_from_every_field(captured, ui_proxy):
    ui_proxy()  # installs the redaction of its config's secrets (the admin key among them)
    out = captured("json", "warning")
    log = logging.getLogger("proxy.test")
    log.info("not shown")
    log.warning(
        "shown",
        extra={"error": f"upstream said {UPSTREAM_HEADERS['tracia']['Authorization']}", "detail": {"key": ADMIN_KEY}},
    )
    [line] = lines(out)
    assert (
        line["msg"] == "shown"
        and line["error"] == "upstream said [redacted]"
        and line["detail"] == {"key": "[redacted]"}
    )


def test_an_exception_is_one_line_too(captured):
    out = captured("json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("proxy.test").exception("failed")
    [line] = lines(out)
    assert line["level"] == "error" and "RuntimeError: boom" in line["exc"]


def test_serve_writes_json_lines_when_its_output_is_not_a_terminal(tmp_path, fakes, upstreams):
    path = tmp_path / "proxy.yaml"
    path.write_text(f"""
store: "memory://"
log: {{level: info, format: auto}}
admin: {{key: "${{ADMIN_KEY}}"}}
upstreams:
  opik: {{vendor: opik, base_url: "{fakes["opik"].url}/api",
         headers: {{Authorization: "{UPSTREAM_KEYS["opik"]}", Comet-Workspace: default}}}}
routes:
  - {{from: opik, primary: opik}}
""")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "proxy", "serve", "--config", str(path), "--port", str(port)],
        env={**os.environ, "ADMIN_KEY": ADMIN_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url) or proc.poll() is not None, timeout=30, what="serve to listen")
        assert put_scores(url, trace_score(), **{"X-Request-Id": "from-the-client"}).status_code == 204
        assert httpx.get(url + "/ui/api/status", headers={"X-Admin-Key": ADMIN_KEY}).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    every = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line, uvicorn's too
    assert any("Uvicorn running" in line["msg"] for line in every)
    request = [line for line in every if line.get("client_request_id") == "from-the-client"]
    assert {line.get("event") for line in request} >= {"upstream.attempt"} and any(
        line.get("status") == 204 for line in request
    )
    assert ADMIN_KEY not in output and UPSTREAM_KEYS["opik"] not in output


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
