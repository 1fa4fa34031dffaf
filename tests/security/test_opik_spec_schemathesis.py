"""schemathesis over Opik's trace and span writes, generated from Opik's own published spec
(proxy/vendors/opik/fixtures/openapi-trace-span-writes.yaml: POST traces, traces/batch, spans,
spans/batch; PATCH traces/{id}, spans/{id}) against a live proxy whose Opik route has a
Scale mirror and no Opik upstream, so every answer is the proxy's own.

What the spec allows is accepted with the status the spec documents (201 or 204), whatever
JSON the spec lets a field hold, through decode, merge and the Scale mirror's encode; what
it forbids is refused in Opik's own error shape. Never a 5xx. The spec is read as Opik's
server reads it (see `opik_spec()`)."""

from __future__ import annotations

import copy

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from proxy import vendors
from proxy.mapping import javaregex
from tests.security.conftest import APP_KEYS, Answer, assert_shape, healthy, key_headers

SPEC_FILE = vendors.get("opik").fixtures / "openapi-trace-span-writes.yaml"
ROUTES = [{"name": "opik-route", "from": "opik", "mirrors": ["scale"]}]
EXAMPLES = 40  # per operation: ~250 requests, positive and negative, in ~15 s
COUNTS: dict[str, int] = {}
SESSION = requests.Session()
KEY = key_headers("opik", APP_KEYS["ops"])
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


def opik_spec() -> dict:
    """Opik's spec, as its Java server reads it:
    - `JsonListString` (input, output, metadata) is "an object, an array of objects or a string"
      (its anyOf; Java binds a JsonNode): its top-level `type: object`, which would let nothing
      but an object through, is the generator's artefact and is dropped;
    - a span's `trace_id` is required (`@NotNull` in the server's Span.View.Write), and so is
      every body (the resources' `@NonNull`; the spec leaves `requestBody.required` out);
    - a `pattern` is a Java regex: written out for Python's `re` (proxy/mapping/javaregex.py),
      which is what schemathesis generates from and checks with;
    - `minLength: 1` is how the spec writes `@NotBlank` (ErrorInfo's exception_type and
      traceback), which refuses a text that Java's trim() empties;
    - a field that is not required may be null: Java binds a null as absent, and Opik's own
      SDK sends explicit nulls (the spec, OpenAPI 3.1, would need `type: [..., "null"]`)."""
    spec = yaml.safe_load(SPEC_FILE.read_text())
    schemas = spec["components"]["schemas"]
    for name in ("JsonListString", "JsonListString_Write"):
        schemas[name].pop("type")
    schemas["Span_Write"]["required"] = [*schemas["Span_Write"]["required"], "trace_id"]
    for operations in spec["paths"].values():
        for operation in operations.values():
            operation["requestBody"]["required"] = True

    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if name not in schema.get("required", []):
                schema["properties"][name] = {"anyOf": [prop, {"type": "null"}]}

    def java(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("minLength") == 1:
                node = {**node, "pattern": r"(?s).*[^\x00-\x20].*"}
            return {k: javaregex.to_python(v) if k == "pattern" else java(v) for k, v in node.items()}
        return [java(v) for v in node] if isinstance(node, list) else node

    return java(copy.deepcopy(spec))


SCHEMA = schemathesis.openapi.from_dict(
    opik_spec(),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}}}),
)


@pytest.fixture(scope="module")
def proxy(module_proxy):
    running = module_proxy(ROUTES, clients=[{"name": "ops", "key": APP_KEYS["ops"]}])
    yield running
    healthy(running.url)
    assert sum(COUNTS.values()) >= 200, COUNTS
    assert {"201", "204"} <= set(COUNTS) and {"400", "422"} & set(COUNTS), COUNTS  # both kinds of answer were seen
    print(f"schemathesis over Opik's spec: {sum(COUNTS.values())} requests, statuses {dict(sorted(COUNTS.items()))}")


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_opiks_trace_and_span_writes_as_its_spec_has_them(case, proxy):
    response = case.call(base_url=proxy.url, headers=KEY, session=SESSION)
    COUNTS[str(response.status_code)] = COUNTS.get(str(response.status_code), 0) + 1
    if case.meta.generation.mode.is_negative:
        case.validate_response(
            response, checks=[checks.not_a_server_error, checks.negative_data_rejection], headers=KEY
        )
        assert_shape("opik", Answer(response))
    else:
        case.validate_response(
            response, checks=[checks.not_a_server_error, openapi_checks.status_code_conformance], headers=KEY
        )
