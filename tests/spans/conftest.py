"""Spans through a live proxy: the SDKs' fixtures, and the spans the fake Scale holds.

The shared fake Scale (proxy/vendors/scale/fake.py) takes the v5 span writes as the real one
does (`PUT`/`POST /v5/spans/batch`, `POST /v5/spans`, `PATCH /v5/spans/{id}`, kept in its
history and answered as `Span` objects).
"""

from __future__ import annotations

import pytest

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
def scale_spans(upstreams):
    """The fake Scale's spans, by id (merged as upserts), emptied for the test."""
    spans = upstreams["scale"].history.spans
    spans.clear()
    return spans


def delivery(**over) -> dict:
    """Fast delivery, as the shared conftest's, with the given changes (e.g. park_ttl)."""
    from tests.conftest import FAST_DELIVERY

    return {**FAST_DELIVERY, **over}
