"""Without a clients: section the proxy accepts any caller, says so loudly at start and
in `check`, and refuses a non-loopback address unless `allow_anonymous: true`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from proxy.auth import is_loopback
from proxy.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "config.example.yaml").read_text()
LOUD = "NO CLIENT AUTHENTICATION"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proxy", *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def variant(tmp_path: Path, old: str, new: str) -> str:
    assert old in EXAMPLE
    path = tmp_path / "c.yaml"
    path.write_text(EXAMPLE.replace(old, new, 1))
    return str(path)


def test_check_says_loudly_that_anyone_may_call(tmp_path):
    out = cli("check", "--config", "config.example.yaml")
    assert out.returncode == 0, out.stderr
    assert LOUD in out.stderr and "ANY caller (on loopback only)" in out.stderr


def test_a_non_loopback_address_without_clients_is_refused_by_check_and_serve(tmp_path):
    path = variant(tmp_path, "host: 127.0.0.1", "host: 0.0.0.0")
    out = cli("check", "--config", path)
    assert out.returncode == 2 and "refusing to listen on 0.0.0.0 with no clients: section" in out.stderr, out.stderr
    started = time.time()
    out = cli("serve", "--config", "config.example.yaml", "--host", "0.0.0.0", "--port", str(free_port()))
    assert out.returncode == 2 and "refusing to listen on 0.0.0.0" in out.stderr and time.time() - started < 30
    assert "Uvicorn running" not in out.stderr


def test_allow_anonymous_lets_it_listen_anywhere_and_still_says_so(tmp_path):
    path = variant(tmp_path, "server:\n  host: 127.0.0.1\n", "allow_anonymous: true\nserver:\n  host: 0.0.0.0\n")
    out = cli("check", "--config", path)
    assert out.returncode == 0, out.stderr
    assert LOUD in out.stderr and "on 0.0.0.0, because allow_anonymous: true" in out.stderr


def test_with_clients_a_non_loopback_address_is_fine_and_quiet(tmp_path):
    path = variant(
        tmp_path,
        "server:\n  host: 127.0.0.1\n",
        'clients:\n  - {name: app, key: "${APP_KEY:-an-example-key-0000}"}\nserver:\n  host: 0.0.0.0\n',
    )
    out = cli("check", "--config", path)
    assert out.returncode == 0, out.stderr
    assert LOUD not in out.stderr and "1 client(s) may call: app" in out.stdout


def test_serve_on_loopback_without_clients_warns_at_start():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "proxy", "serve", "--config", "config.example.yaml", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline and proc.poll() is None, "serve did not start"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    lines = [
        json.loads(line) for line in output.splitlines()
    ]  # not a terminal: JSON lines (README, Operator UI and logs)
    at = next(i for i, line in enumerate(lines) if LOUD in line["msg"])
    assert lines[at]["level"] == "warning" and set(lines[at - 1]["msg"]) == {"!"} and set(lines[at + 1]["msg"]) == {"!"}
    assert at < next(i for i, line in enumerate(lines) if "Uvicorn running" in line["msg"])  # before it listens


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("example.com", False),
    ],
)
def test_what_counts_as_loopback(host, loopback):
    assert is_loopback(host) is loopback
