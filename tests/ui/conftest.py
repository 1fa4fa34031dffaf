"""The operator UI against a live proxy: fake upstreams, an admin key, and (for
test_browser.py) Debian's Chromium driven by Playwright.

No Chromium is a failure, not a skip: CI installs it (.ci/run). Playwright never
downloads a browser here (no `playwright install`): it is pointed at /usr/bin/chromium.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.conftest import CLIENT_HEADERS, FAST_DELIVERY

ADMIN_KEY = "admin-key-0123456789abcdef"
CHROMIUM = os.environ.get("FEEDBACK_PROXY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TRACIA_TO_OPIK_MIRROR_SCALE = [{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}]
SPAN = "sp_0123456789abcdef"


def admin(key: str = ADMIN_KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def evaluate(url: str, key: str = "quality", value: float = 1, note: str = "looks right", **headers) -> httpx.Response:
    """A Tracia evaluation, as the Tracia SDK sends it."""
    return httpx.post(
        f"{url}/api/v1/spans/{SPAN}/evaluations",
        json={"evaluatorKey": key, "value": value, "note": note},
        headers={**CLIENT_HEADERS["tracia"], **headers},
        timeout=10,
    )


@pytest.fixture
def ui_proxy(live_proxy):
    """ui_proxy(routes=None, **config) -> the URL of a live proxy with an admin key
    (Tracia -> Opik, mirrored to Scale)."""

    def start(routes: list[dict] | None = None, **extra) -> str:
        extra.setdefault("admin", {"key": ADMIN_KEY})
        extra.setdefault("delivery", FAST_DELIVERY)
        return live_proxy(routes or TRACIA_TO_OPIK_MIRROR_SCALE, **extra)

    return start


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM} (Debian: apt-get install -y chromium; .ci/run installs "
            f"it), "
            "or FEEDBACK_PROXY_CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


OPIK_TO_OPIK_MIRROR_SCALE = [{"from": "opik", "primary": "opik", "mirrors": ["scale"]}]


def trace_score(i: int = 1, name: str = "accuracy", reason: str = "matches the reference", value: float = 0.5) -> dict:
    return {
        "id": f"01a20c41-cda1-7a06-b0a1-{i:012x}",
        "name": name,
        "value": value,
        "reason": reason,
        "source": "sdk",
        "project_name": "ui",
    }


def put_scores(url: str, *scores: dict, **headers) -> httpx.Response:
    """Opik trace scores, as the Opik SDK sends them (answered 204)."""
    return httpx.put(
        f"{url}/api/v1/private/traces/feedback-scores",
        json={"scores": list(scores)},
        headers={**CLIENT_HEADERS["opik"], **headers},
        timeout=10,
    )


def api(url: str, path: str, key: str = ADMIN_KEY, **params) -> dict:
    resp = httpx.get(url + path, params=params, headers=admin(key), timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def post(url: str, path: str, body, key: str = ADMIN_KEY) -> httpx.Response:
    return httpx.post(url + path, json=body, headers=admin(key), timeout=10)
