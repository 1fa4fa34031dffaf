"""A vendor is one folder (README, Adding a vendor: one folder). Acme, a made-up vendor
(tests/fixtures/vendors/acme/: mapping.yaml, codec.py, fake.py, profile.yaml), is copied
into a directory of its own and named by FEEDBACK_PROXY_VENDORS; no other file is touched.
A live proxy (`python -m proxy serve`, a process of its own) then serves it, translates it
both ways, starts its fake upstream, and the registry lists it beside the built-in vendors."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from proxy import vendors
from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import BASE_PATHS, CLIENT_HEADERS, UPSTREAM_HEADERS, wait_for

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "tests" / "fixtures" / "vendors" / "acme"
TRACE = "01a2105d-41f8-77e4-83f2-4905344d3b48"  # a UUIDv7: Opik takes it as it is
ACME_PROFILE = yaml.safe_load((ACME / "profile.yaml").read_text())


@pytest.fixture
def acme_env(tmp_path, monkeypatch):
    """FEEDBACK_PROXY_VENDORS naming a directory that holds a copy of the acme folder."""
    extra = tmp_path / "vendors"
    shutil.copytree(ACME, extra / "acme")
    monkeypatch.setenv(vendors.ENV, str(extra))
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def run(env: dict, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "proxy", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )


def write_config(path: Path, upstreams: dict, routes: list) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "upstreams": upstreams,
                "routes": routes,
                "store": "memory://",
                "delivery": {"linger_ms": 1, "poll_interval": 0.05},
            }
        )
    )
    return path


class Serving:
    """`python -m proxy serve --config ... [--fake-upstreams]` on a free port, stopped on exit."""

    def __init__(self, env: dict, config: Path, *flags: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "proxy", "serve", "--config", str(config), "--port", str(self.port), *flags]
        self.proc = subprocess.Popen(
            command, cwd=config.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def __enter__(self) -> Serving:
        wait_for(lambda: self.proc.poll() is not None or _up(self.url), timeout=30, what="serve to start")
        assert self.proc.poll() is None, self.proc.communicate()[0]
        return self

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=30)


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_the_registry_and_the_clis_choices_list_the_new_vendor(acme_env, tmp_path):
    # every matrix of the suite is vendors.names()
    assert vendors.names() == ["acme", "langfuse", "opik", "otel", "scale", "tracia"]
    acme = vendors.get("acme")
    assert acme.folder == tmp_path / "vendors" / "acme" and acme.history is None
    assert acme.profile["client"]["headers"] == {"x-acme-key": "acme-client-key"}
    assert Path(acme.codec().__file__) == acme.folder / "codec.py"
    assert Path(acme.fake().__file__) == acme.folder / "fake.py"
    out = run(acme_env, "fake-upstream", "--help", cwd=tmp_path)
    assert out.returncode == 0 and "{acme,langfuse,opik,otel,scale,tracia}" in out.stdout, out.stdout + out.stderr
    # the suite's matrix (tests/conftest.py VENDORS) and profiles, as a test run with the variable set sees them
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.conftest import VENDORS, CLIENT_HEADERS, BASE_PATHS as B; "
            "print(VENDORS, CLIENT_HEADERS['acme'], repr(B['acme']))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=acme_env,
        timeout=60,
    )
    vendors_seen = "('acme', 'langfuse', 'opik', 'otel', 'scale', 'tracia')"
    assert out.stdout == f"{vendors_seen} {{'x-acme-key': 'acme-client-key'}} ''\n", out.stderr


def test_check_accepts_a_config_that_uses_the_new_vendor(acme_env, tmp_path):
    cfg = write_config(
        tmp_path / "proxy.yaml",
        {
            "acme": {"vendor": "acme", "base_url": "http://127.0.0.1:9"},
            "opik": {"vendor": "opik", "base_url": "http://127.0.0.1:9/api"},
        },
        [{"from": "acme", "primary": "opik"}, {"from": "opik", "primary": "acme"}],
    )
    out = run(acme_env, "check", "--config", str(cfg), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (
        "ok (2 upstreams, 2 routes; mappings: acme, langfuse, opik, otel, scale, tracia; "
        "back-fill histories: langfuse, opik, scale, tracia)"
    ) in out.stdout


def test_an_acme_clients_score_reaches_opik_field_by_field(acme_env, tmp_path):
    with FakeServer(FakeVendor("opik")) as opik:
        cfg = write_config(
            tmp_path / "proxy.yaml",
            {
                "opik": {
                    "vendor": "opik",
                    "base_url": opik.url + BASE_PATHS["opik"],
                    "headers": UPSTREAM_HEADERS["opik"],
                }
            },
            [{"from": "acme", "primary": "opik"}],
        )
        with Serving(acme_env, cfg) as proxy:
            scores, headers = f"{proxy.url}/acme/v1/traces/{TRACE}/scores", ACME_PROFILE["client"]["headers"]
            sent = {"name": "helpfulness", "value": 0.75, "comment": "mostly right"}
            resp = httpx.post(scores, headers=headers, json=sent)
            refused = httpx.post(scores, headers=headers, json={"value": "high"})
    # served: acme's answer, in acme's shape
    assert resp.status_code == 201
    assert resp.json() == {"trace_id": TRACE, "name": "helpfulness", "value": 0.75, "comment": "mostly right"}
    refusal = {"error": {"status": 400, "message": "name is required; value must be a number"}}
    assert (refused.status_code, refused.json()) == (400, refusal)
    # translated: one Opik trace score, field by field, with Opik's credentials and not acme's
    [got] = opik.vendor.received
    assert (got.method, got.path) == ("PUT", "/api/v1/private/traces/feedback-scores")
    [score] = got.body["scores"]
    # acme's source (api) is Opik's sdk
    assert score == {"id": TRACE, "name": "helpfulness", "value": 0.75, "reason": "mostly right", "source": "sdk"}
    assert got.headers["authorization"] == UPSTREAM_HEADERS["opik"]["Authorization"] and "x-acme-key" not in got.headers


def test_an_opik_clients_score_reaches_the_acme_fake_that_fake_upstreams_started(acme_env, tmp_path):
    acme_port = free_port()
    cfg = write_config(
        tmp_path / "proxy.yaml",
        {
            "acme": {
                "vendor": "acme",
                "base_url": f"http://127.0.0.1:{acme_port}",
                "headers": ACME_PROFILE["upstream"]["headers"],
            }
        },
        [{"from": "opik", "primary": "acme"}],
    )
    score = {
        "id": TRACE,
        "name": "accuracy",
        "value": 0.5,
        "reason": "half right",
        "source": "sdk",
        "project_name": "p",
    }
    with Serving(acme_env, cfg, "--fake-upstreams") as proxy:
        resp = httpx.put(
            f"{proxy.url}{BASE_PATHS['opik']}/v1/private/traces/feedback-scores",
            headers=CLIENT_HEADERS["opik"],
            json={"scores": [score]},
        )
        held = httpx.get(f"http://127.0.0.1:{acme_port}/acme/v1/traces/{TRACE}/scores").json()
    assert resp.status_code == 204, resp.text
    # translated field by field: name, value, the reason as acme's comment; project and source lost
    assert held == {
        "scores": [{"id": "sc_1", "trace_id": TRACE, "name": "accuracy", "value": 0.5, "comment": "half right"}]
    }
