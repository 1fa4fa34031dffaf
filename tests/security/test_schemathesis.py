"""schemathesis against the proxy's own description of its ingress (`/openapi.json`,
built from the mappings): schema-valid and schema-breaking requests for every
operation, with the key of a client allowed everywhere. No answer is a 5xx, every
rejection is in the vendor's shape, and no operation that declares a key answers
2xx without one or with a wrong one (schemathesis's `ignored_auth` probes)."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from proxy import openapi
from tests.security.conftest import APP_KEYS, HTTP, MAPPINGS, Answer, assert_shape, healthy, key_headers, owner_of

ROUTES = [  # mirrors only: every answer is the proxy's own
    {"name": "opik-route", "from": "opik", "mirrors": ["scale"]},
    {"name": "tracia-route", "from": "tracia", "mirrors": ["opik"]},
    {"name": "scale-route", "from": "scale", "mirrors": ["opik"]},
    {"name": "otel-route", "from": "otel", "mirrors": ["opik"]},
]
# Fuzzed examples only (the coverage phase's boundary cases cost ~10 times as much), and
# Opik's operations on one path prefix (every prefix is in the auth matrix and the junk).
SCHEMA = schemathesis.openapi.from_dict(
    openapi.build(MAPPINGS),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}}}),
).exclude(path_regex=r"^/(v1/private|opik/api|is-alive)/")
EXAMPLES = 8
COUNTS: dict[str, int] = {}
SESSION = requests.Session()  # one connection pool for every case
pytestmark = pytest.mark.filterwarnings(
    "ignore::hypothesis.errors.HypothesisDeprecationWarning"
)  # schemathesis's own use of random


@pytest.fixture(scope="module")
def proxy(module_proxy):
    running = module_proxy(ROUTES)
    yield running
    healthy(running.url)
    assert sum(COUNTS.values()) >= 100, COUNTS
    print(f"schemathesis: {sum(COUNTS.values())} requests, statuses {dict(sorted(COUNTS.items()))}")


def test_the_served_description_is_the_one_built_from_the_mappings(proxy):
    assert HTTP.get(proxy.url + "/openapi.json").json() == SCHEMA.raw_schema


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_the_ingress_as_described(case, proxy):
    vendor = owner_of(case.path)
    key = key_headers(vendor, APP_KEYS["ops"])
    response = case.call(base_url=proxy.url, headers=key, session=SESSION)
    COUNTS[str(response.status_code)] = COUNTS.get(str(response.status_code), 0) + 1
    case.validate_response(
        response, checks=[checks.not_a_server_error, checks.ignored_auth], headers=key
    )  # key: ours, not generated
    if response.status_code >= 400:
        assert_shape(vendor, Answer(response))
