"""Every request any fake upstream received in an integration test carried that
upstream's credentials and none of the clients' keys."""

from __future__ import annotations

import pytest

from tests.conftest import assert_upstream_credentials


@pytest.fixture(autouse=True)
def _credentials_checked(upstreams):
    yield
    assert_upstream_credentials(upstreams)
