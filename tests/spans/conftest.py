"""Spans through a live proxy: the SDKs' fixtures, and a fake Scale that takes spans.

The shared fake Scale (proxy/testing.py) answers only span assessments; here it also
takes the v5 span writes, as the real one does: `PUT`/`POST /v5/spans/batch`,
`POST /v5/spans`, `PATCH /v5/spans/{id}` (kept in memory, answered as `Span` objects).
"""

from __future__ import annotations

import time

import pytest
from starlette.responses import JSONResponse

from tests.conftest import assert_upstream_credentials
from tests.sdk.conftest import opik_sdk, scale_sdk, tracia_sdk  # noqa: F401 - fixtures, re-exported

SCALE_SPANS = r"^/v5/spans/batch$"
SCALE_ASSESSMENTS = r"^/v5/span-assessments$"
OPIK_TRACES = r"^/api/v1/private/traces/batch$"
OPIK_SPANS = r"^/api/v1/private/spans/batch$"
OPIK_SPAN_SCORES = r"^/api/v1/private/spans/feedback-scores$"
TRACIA_SPANS = r"^/api/v1/spans$"
TRACIA_EVALS = r"^/api/v1/spans/[^/]+/evaluations$"


@pytest.fixture(autouse=True)
def _credentials_checked(upstreams):
    yield
    assert_upstream_credentials(upstreams)


@pytest.fixture
def scale_spans(upstreams, monkeypatch):
    """The fake Scale's spans, by id (merged as upserts); it answers span writes like Scale."""
    fake = upstreams["scale"]
    spans: dict[str, dict] = {}
    assessments_only = fake._scale

    def handle(r, url):
        if r.path == "/v5/spans/batch" and r.method in ("PUT", "POST"):
            out = [_keep(spans, item, r) for item in (r.body or {}).get("items", [])]
            return JSONResponse({"items": out, "object": "list"})
        if r.path == "/v5/spans" and r.method == "POST":
            return JSONResponse(_keep(spans, r.body, r))
        if r.path.startswith("/v5/spans/") and r.method == "PATCH":
            sid = r.path.rsplit("/", 1)[1]
            if sid not in spans:
                return JSONResponse({"detail": "Span not found"}, 404)
            spans[sid].update(r.body or {})
            return JSONResponse(spans[sid])
        return assessments_only(r, url)

    monkeypatch.setattr(fake, "_scale", handle)
    return spans


def _keep(spans: dict, item: dict, r) -> dict:
    sid = item.get("id") or f"gen-{len(spans)}"
    spans[sid] = {**spans.get(sid, {}), **item, "id": sid, "account_id": r.headers.get("x-selected-account-id", "acct"), "object": "span"}
    return spans[sid]


def delivery(**over) -> dict:
    """Fast delivery, as the shared conftest's, with the given changes (e.g. park_ttl)."""
    from tests.conftest import FAST_DELIVERY

    return {**FAST_DELIVERY, **over}


def settle(seconds: float = 0.3) -> None:
    """Let the workers run a few more rounds (to see that nothing more arrives)."""
    time.sleep(seconds)
