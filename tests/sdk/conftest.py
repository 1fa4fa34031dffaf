"""The real SDKs (opik, tracia, scale-gp-beta) pointed at a live proxy.

Every test here ends by checking every request every fake upstream received:
it carried that upstream's credentials and none of the clients' keys.
"""

from __future__ import annotations

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
