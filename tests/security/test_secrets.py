"""No secret — client keys, upstream keys, Authorization header values — appears in the
proxy's logs (in-process, and the `serve` process's own output at debug level), its
metrics, its error bodies (even when an upstream echoes a key back), `translate`,
`check`, or a config error."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from proxy.testing import free_port
from tests.conftest import UPSTREAM_KEYS, queue_depths, wait_for
from tests.security.conftest import APP_KEYS, HTTP, UUID7, WRONG_KEY, assert_shape, key_headers

ROOT = Path(__file__).resolve().parents[2]
SENT_ONLY = ["tr_someone_elses_key_5555", "Basic dXNlcjpwYXNzd29yZA=="]  # Authorization values a caller sent
SECRETS = [*APP_KEYS.values(), *UPSTREAM_KEYS.values(), WRONG_KEY, *SENT_ONLY]
ROUTES = [
    {"name": "opik-route", "from": "opik", "primary": "opik", "mirrors": ["scale"]},
    {"name": "tracia-route", "from": "tracia", "primary": "opik", "mirrors": ["scale"]},
    {"name": "scale-route", "from": "scale", "primary": "scale", "mirrors": ["opik"]},
    {"name": "otel-route", "from": "otel", "mirrors": ["opik"]},
]
SCORE = {"scores": [{"id": UUID7, "name": "accuracy", "value": 1, "source": "sdk"}]}
EVAL = {"evaluatorKey": "quality", "value": 1}


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def exercise(url: str, fakes) -> list[httpx.Response]:
    """Every way a key is in play: accepted, missing, wrong, for another route, in the
    wrong form; an upstream that fails, and one that echoes a key in its error body."""
    out = []
    opik_path, tracia_path = "/api/v1/private/traces/feedback-scores", "/api/v1/spans/sp_0123456789abcdef/evaluations"
    out.append(HTTP.put(url + opik_path, json=SCORE, headers=key_headers("opik", APP_KEYS["opik-app"])))
    out.append(HTTP.post(url + tracia_path, json=EVAL, headers=key_headers("tracia", APP_KEYS["tracia-app"])))
    out.append(
        HTTP.post(
            url + "/v5/span-assessments",
            json={"assessment_type": "rating", "trace_id": "t", "rating": 3},
            headers=key_headers("scale", APP_KEYS["scale-app"]),
        )
    )
    for headers in (
        {},
        key_headers("opik", WRONG_KEY),
        key_headers("opik", APP_KEYS["tracia-app"]),
        {"Authorization": "Bearer " + APP_KEYS["opik-app"]},
        {"Authorization": SENT_ONLY[0]},
        {"Authorization": SENT_ONLY[1]},
        key_headers("opik", APP_KEYS["tracia-only"]),
    ):
        out.append(HTTP.put(url + opik_path, json=SCORE, headers=headers))
    out.append(
        HTTP.post(url + tracia_path, json=EVAL, headers={"Authorization": APP_KEYS["tracia-app"]})
    )  # no "Bearer"
    for key in UPSTREAM_KEYS.values():  # a caller trying the upstreams' own keys
        out.append(HTTP.post(url + "/v5/span-assessments", json={}, headers={"x-api-key": key}))
    # the upstreams answer with a key in their error bodies (new bodies: a repeated POST would get the first answer)
    fakes["opik"].vendor.fail_next(1, 403, {"code": 403, "message": f"key {UPSTREAM_KEYS['opik']} may not write"})
    out.append(HTTP.put(url + opik_path, json=SCORE, headers=key_headers("opik", APP_KEYS["opik-app"])))
    fakes["opik"].vendor.fail_next(1, 500, {"code": 500, "message": f"Authorization: {UPSTREAM_KEYS['opik']} broke"})
    out.append(
        HTTP.post(
            url + tracia_path,
            json={**EVAL, "note": "upstream fails"},
            headers=key_headers("tracia", APP_KEYS["tracia-app"]),
        )
    )
    fakes["scale"].vendor.fail_next(1, 401, {"detail": f"x-api-key {UPSTREAM_KEYS['scale']} is not valid"})
    out.append(
        HTTP.post(
            url + "/v5/span-assessments",
            json={"assessment_type": "rating", "trace_id": "t", "rating": 2},
            headers=key_headers("scale", APP_KEYS["scale-app"]),
        )
    )
    # the mirrors' deliveries log too: wait until all have been settled but the evaluation at the Scale
    # mirror, which waits for its span's trace (Scale needs it)
    waiting = lambda: {name: n for name, n in queue_depths(url).items() if n}  # noqa: E731
    wait_for(lambda: waiting() == {"scale": 1}, what="the mirrors' deliveries")
    return out


def test_no_secret_in_logs_metrics_or_error_bodies(secure_proxy, upstreams, fakes, caplog):
    caplog.set_level(logging.DEBUG)
    running = secure_proxy(routes=ROUTES)
    answers = exercise(running.url, fakes)
    statuses = [r.status_code for r in answers]
    assert statuses[:3] == [204, 200, 200] and statuses[3:10] == [401, 401, 403, 401, 401, 401, 403], statuses
    assert statuses[10:14] == [401, 401, 401, 401] and statuses[-3:] == [403, 502, 401], statuses
    assert answers[-3].json() == {
        "code": 403,
        "message": "key [redacted] may not write",
    }  # a same-vendor primary's answer, as it came
    assert assert_shape("tracia", answers[-2], 502).startswith("the primary upstream 'opik' answered 500: ")
    assert "Authorization: [redacted] broke" in answers[-2].json()["message"]
    assert answers[-1].json() == {"detail": "x-api-key [redacted] is not valid"}
    metrics = HTTP.get(running.url + "/metrics").text
    assert "feedback_proxy_requests_total" in metrics
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert "refused 401" in logged and "refused 403" in logged and "answered 500" in logged  # the logs did speak
    for where, text in (
        ("logs", logged),
        ("metrics", metrics),
        *((f"answer {i} ({r.status_code})", r.text) for i, r in enumerate(answers)),
    ):
        assert leaks(text) == [], (where, leaks(text))


def write_config(tmp_path: Path, fakes, extra: str = "") -> Path:
    path = tmp_path / "proxy.yaml"
    path.write_text(f"""
log_level: debug
store: "memory://"
upstreams:
  opik: {{vendor: opik, base_url: "{fakes["opik"].url}/api", timeout: 5,
         headers: {{Authorization: "${{OPIK_UP}}", Comet-Workspace: default}}}}
  scale: {{vendor: scale, base_url: "{fakes["scale"].url}", timeout: 5,
          headers: {{x-api-key: "${{SCALE_UP}}", x-selected-account-id: acct}}}}
routes:
  - {{name: opik-route, from: opik, primary: opik, mirrors: [scale]}}
  - {{name: tracia-route, from: tracia, primary: opik, mirrors: [scale]}}
  - {{name: scale-route, from: scale, primary: scale, mirrors: [opik]}}
clients:
  - {{name: opik-app, key: "${{OPIK_APP_KEY}}", routes: [opik-route]}}
  - {{name: tracia-app, key: "${{TRACIA_APP_KEY}}", routes: [tracia-route]}}
  - {{name: scale-app, key: "${{SCALE_APP_KEY}}", routes: [scale-route]}}
  - {{name: tracia-only, key: "${{TRACIA_ONLY_KEY}}", vendors: [tracia]}}
{extra}""")
    return path


ENV = {
    "OPIK_UP": UPSTREAM_KEYS["opik"],
    "SCALE_UP": UPSTREAM_KEYS["scale"],
    "OPIK_APP_KEY": APP_KEYS["opik-app"],
    "TRACIA_APP_KEY": APP_KEYS["tracia-app"],
    "SCALE_APP_KEY": APP_KEYS["scale-app"],
    "TRACIA_ONLY_KEY": APP_KEYS["tracia-only"],
}


def cli(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "proxy", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, **ENV, **(env or {})},
    )


def test_the_serve_process_logs_no_secret_at_debug_level(tmp_path, upstreams, fakes):
    path = write_config(tmp_path, fakes)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "proxy", "serve", "--config", str(path), "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while True:
            try:
                if HTTP.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline and proc.poll() is None, "serve did not start"
            time.sleep(0.1)
        answers = exercise(url, fakes)
        assert [r.status_code for r in answers[:4]] == [204, 200, 200, 401]
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    assert "refused 401" in output and "refused 403" in output and "answered 500" in output, output[-3000:]
    assert "NO CLIENT AUTHENTICATION" not in output  # it has clients
    assert leaks(output) == [], leaks(output)
    for r in answers:
        assert leaks(r.text) == [], r.text


def test_translate_and_check_print_no_secret(tmp_path, fakes):
    path = write_config(tmp_path, fakes)
    envelope = {
        "path": "/api/v1/spans/sp_0123456789abcdef/evaluations",
        "body": EVAL,
        "headers": {"authorization": f"Bearer {APP_KEYS['tracia-app']}", "x-api-key": UPSTREAM_KEYS["scale"]},
    }
    for dst in ("opik", "scale"):
        out = cli(
            "translate", "--from", "tracia", "--to", dst, "--explain", "--config", str(path), stdin=json.dumps(envelope)
        )
        assert out.returncode == 0, out.stderr
        assert leaks(out.stdout + out.stderr) == []
    out = cli("check", "--config", str(path))
    assert out.returncode == 0, out.stderr
    assert "4 client(s) may call: opik-app, tracia-app, scale-app, tracia-only" in out.stdout
    assert leaks(out.stdout + out.stderr) == []


@pytest.mark.parametrize(
    "client,message",
    [
        ("{name: weak, key: '${WEAK}'}", "key is empty or shorter than 8 characters"),
        ("{name: typo, key: '${OPIK_APP_KEY}', kee: '${OPIK_APP_KEY}'}", "Extra inputs are not permitted"),
        ("{name: both, key: '${OPIK_APP_KEY}', key_sha256: '${OPIK_APP_KEY}'}", "String should match pattern"),
        (
            "{name: twice, key: '${OPIK_APP_KEY}'}\n  - {name: again, key: '${OPIK_APP_KEY}'}",
            "has the same key as another client",
        ),
        ("{name: lost, key: '${OPIK_APP_KEY}', routes: [nowhere]}", "no route 'nowhere'"),
        ("{name: odd, key: '${OPIK_APP_KEY}', vendors: [braintrust]}", "no vendor format 'braintrust'"),
    ],
)
def test_a_config_error_about_a_client_names_it_but_not_its_key(tmp_path, fakes, client, message):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "upstreams:\n  opik: {vendor: opik, base_url: 'http://127.0.0.1:9/api',"
        " headers: {Authorization: '${OPIK_UP}'}}\n"
        f"routes:\n  - {{from: opik, primary: opik}}\nclients:\n  - {client}\n"
    )
    out = cli("check", "--config", str(path), env={"WEAK": "short"})
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert leaks(out.stdout + out.stderr) == [] and "short" not in out.stderr.replace("shorter", "")
