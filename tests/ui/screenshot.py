"""The README's picture of the operator page under load: `python -m tests.ui.screenshot`
(writes docs/ui.png; --out elsewhere). Needs Debian's Chromium, as tests/ui/ does.

It runs the proxy on a SQLite store with three fake upstreams: Opik, the primary,
healthy; Scale, a mirror that answers 503 now and then (retried) and 400 to a few
records (dead letters); Tracia, a mirror that is down (its circuit opens). Clients
send Opik trace and span scores at about 40 requests a second while the page is
signed in, a request is opened, the playground has translated an evaluation, and
the picture is taken.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from pathlib import Path

import httpx

from proxy.app import create_app
from proxy.config import Config
from proxy.testing import FakeServer, FakeVendor, free_port
from tests.conftest import CLIENT_HEADERS, UPSTREAM_HEADERS
from tests.ui.conftest import ADMIN_KEY, launch_chromium

ROOT = Path(__file__).resolve().parents[2]


def config(opik: str, scale: str, tracia_port: int, db: str) -> Config:
    return Config.model_validate(
        {
            "store": f"sqlite:///{db}",
            "admin": {"key": ADMIN_KEY},
            "upstreams": {
                "opik": {"vendor": "opik", "base_url": opik + "/api", "headers": UPSTREAM_HEADERS["opik"]},
                "scale": {"vendor": "scale", "base_url": scale, "headers": UPSTREAM_HEADERS["scale"]},
                "tracia": {
                    "vendor": "tracia",
                    "base_url": f"http://127.0.0.1:{tracia_port}",
                    "headers": UPSTREAM_HEADERS["tracia"],
                    "timeout": 1,
                },
            },
            "routes": [{"from": "opik", "primary": "opik", "mirrors": ["scale", "tracia"]}],
            "delivery": {
                "linger_ms": 5,
                "poll_interval": 0.2,
                "retry": {"initial_interval": 0.5, "max_interval": 2, "max_elapsed": 120},
                "breaker": {"failures": 3, "cooldown": 20},
            },
        }
    )


def load(url: str, scale: FakeVendor, stop: threading.Event) -> None:
    """Opik scores, one request every ~25 ms; Scale refuses one in 7 (503) and one in 23 (400)."""
    names = itertools.cycle(["accuracy", "helpfulness", "relevance", "toxicity", "groundedness"])
    with httpx.Client(headers=CLIENT_HEADERS["opik"], timeout=10) as client:
        for i in itertools.count():
            if stop.is_set():
                return
            if i % 7 == 3:
                scale.fail_next(1, 503, {"detail": "upstream connect error or disconnect/reset before headers"})
            if i % 23 == 11:
                scale.fail_next(1, 400, {"detail": "trace_id: trace not found in account acct_upstream"})
            kind = "spans" if i % 4 == 0 else "traces"
            scores = [
                {
                    "id": f"01a20c41-cda1-7a06-b0a1-{(i * 3 + j):012x}",
                    "name": next(names),
                    "value": round((i * 37 % 100) / 100, 2),
                    "reason": "graded by the nightly eval run",
                    "source": "sdk",
                    "project_name": "support-bot",
                }
                for j in range(1 + i % 3)
            ]
            client.put(f"{url}/api/v1/private/{kind}/feedback-scores", json={"scores": scores})
            time.sleep(0.025)


def shoot(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
        page.goto(url + "/ui")
        page.fill("#key", ADMIN_KEY)
        page.click("#login-form button[type=submit]")
        page.locator("#request-rows tr[data-request-id]").first.wait_for()
        page.locator("#request-rows tr", has_text="scale 200").first.click()
        page.locator("#pg-from option[value=tracia]").wait_for(state="attached")
        page.select_option("#pg-from", "tracia")
        page.select_option("#pg-to", "opik")
        page.click("#pg-example")
        page.click("#pg-run")
        page.locator("#pg-report tr").first.wait_for()
        time.sleep(2.5)  # one more poll: the rates and the open circuit as they are now
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "ui.png"))
    parser.add_argument("--seconds", type=float, default=12, help="load before the picture")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeServer(FakeVendor("opik")) as opik,
        FakeServer(FakeVendor("scale")) as scale,
    ):
        app = create_app(config(opik.url, scale.url, free_port(), f"{tmp}/proxy.db"))
        with FakeServer(app) as proxy:
            stop = threading.Event()
            clients = [
                threading.Thread(target=load, args=(proxy.url, scale.vendor, stop), daemon=True) for _ in range(1)
            ]
            for c in clients:
                c.start()
            time.sleep(args.seconds)
            shoot(proxy.url, Path(args.out))
            stop.set()
            for c in clients:
                c.join(timeout=10)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
