"""The real SDKs (opik, tracia, scale-gp-beta) pointed at a live proxy.

Every test here ends by checking every request every fake upstream received:
it carried that upstream's credentials and none of the clients' keys.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLIENT_KEYS, assert_upstream_credentials

ISO_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


@pytest.fixture(autouse=True)
def _credentials_checked(upstreams):
    yield
    assert_upstream_credentials(upstreams)


@pytest.fixture
def tracia_sdk():
    from tracia import Tracia

    made = []

    def make(url: str):
        made.append(Tracia(api_key=CLIENT_KEYS["tracia"], base_url=url))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def scale_sdk(monkeypatch):
    from scale_gp_beta import SGPClient

    def make(url: str, **kw):
        monkeypatch.setenv("SGP_CLIENT_BASE_URL", url)
        return SGPClient(api_key=CLIENT_KEYS["scale"], account_id="acct_client", **kw)

    return make


@pytest.fixture
def opik_sdk(monkeypatch):
    import opik

    made = []

    def make(url: str, prefix: str = "/api", project: str = "sdk-project"):
        monkeypatch.setenv("OPIK_URL_OVERRIDE", url + prefix)
        made.append(opik.Opik(api_key=CLIENT_KEYS["opik"], workspace="default", project_name=project))
        return made[-1]

    yield make
    for client in made:
        client.end()


NODE_PROJECT = Path(__file__).parent / "node"  # the Node.js SDKs, pinned by its package-lock.json
INSTALLED_FROM = NODE_PROJECT / "node_modules" / ".installed-from"  # the lockfile's SHA-256 npm ci installed


def node_lock_digest() -> str:
    return hashlib.sha256((NODE_PROJECT / "package-lock.json").read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def node_project() -> Path:
    """tests/sdk/node with its packages installed from the lockfile (`npm ci`), when node_modules is
    missing or was installed from another lockfile (.ci/run does the same before pytest). Without
    Node.js or npm the test fails saying so; it never skips."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the Node.js SDK tests need {' and '.join(missing)} on PATH (Debian: apt-get install nodejs npm)")
    digest = node_lock_digest()
    if not INSTALLED_FROM.exists() or INSTALLED_FROM.read_text().strip() != digest:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_PROJECT)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {NODE_PROJECT} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        INSTALLED_FROM.write_text(digest + "\n")
    return NODE_PROJECT


@pytest.fixture
def node_script(node_project):
    """node_script("x.mjs", env) runs tests/sdk/node/x.mjs with the machine's Node.js; -> the
    finished process (stdout and stderr captured, as text)."""

    def run(script: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("OPIK_")}  # only what the test gives
        return subprocess.run(
            ["node", str(node_project / script)],
            cwd=node_project,
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
