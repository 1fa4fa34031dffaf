"""What `serve` and `fake-upstream` cannot start is refused in one clean line, with a
non-zero exit, before anything starts: a port a fake upstream needs is taken; an upstream
names a vendor with no mapping (serve validates as `check` does)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from proxy.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "proxy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def taken() -> socket.socket:
    """A port something else listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_serve_fake_upstreams_with_a_fakes_port_taken_says_which_port_and_upstream(tmp_path):
    with taken() as busy:
        port = busy.getsockname()[1]
        env = {
            "OPIK_URL": f"http://127.0.0.1:{free_port()}/api",
            "TRACIA_URL": f"http://127.0.0.1:{port}",
            "SGP_URL": f"http://127.0.0.1:{free_port()}",
        }
        out = run(
            "serve",
            "--config",
            str(ROOT / "config.example.yaml"),
            "--fake-upstreams",
            "--port",
            str(free_port()),
            cwd=tmp_path,
            env=env,
        )
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1] == (
        f"feedback-proxy: --fake-upstreams: cannot listen on port {port} (Address already in use) for upstream "
        f"'tracia', a fake tracia at http://127.0.0.1:{port}: stop what uses the port, or change its base_url"
    )


def test_fake_upstream_on_a_taken_port_says_so_and_nothing_else(tmp_path):
    with taken() as busy:
        port = busy.getsockname()[1]
        out = run("fake-upstream", "--vendor", "opik", "--port", str(port), cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        f"feedback-proxy: cannot listen on 127.0.0.1:{port} (Address already in use): no fake opik upstream started"
    ]
    assert out.stdout == ""


def test_serve_refuses_an_upstream_vendor_with_no_mapping_exactly_as_check_does(tmp_path):
    db = tmp_path / "state" / "proxy.db"
    config = tmp_path / "config.yaml"
    fake = free_port()
    config.write_text(
        f'store: "sqlite:///{db}"\n'
        "upstreams:\n"
        f'  lf: {{vendor: braintrust, base_url: "http://127.0.0.1:{fake}"}}\n'
        "routes:\n  - {from: opik, mirrors: [lf]}\n"
    )
    checked = run("check", "--config", str(config), cwd=tmp_path)
    assert checked.returncode == 2
    assert checked.stderr.splitlines() == [
        f"feedback-proxy: {config}:3:16: upstreams::lf::vendor: no mapping for vendor 'braintrust'; "
        "known: langfuse, opik, otel, scale, tracia"
    ]
    for extra in ([], ["--fake-upstreams"], ["--workers", "2"]):
        served = run("serve", "--config", str(config), "--port", str(free_port()), *extra, cwd=tmp_path)
        assert (served.returncode, served.stderr, served.stdout) == (2, checked.stderr, ""), extra
    assert not db.parent.exists()  # nothing started: no store, no fake
    assert list(tmp_path.iterdir()) == [config]
