"""The generated decode (one function per endpoint, rules inlined: codegen.decode_records and
decode_values) must give what the interpreter (interpret.py) gives from the same rule forms,
for every captured request and for hypothesis's mutations of them: the same records, or the
same refusal."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy import vendors
from proxy.errors import ValidationFailed
from proxy.mapping import WireRequest, codegen, load_all

from .support import capture, decode_input

GENERATED = load_all()
codegen.INLINE = False
INTERPRETED = load_all()
codegen.INLINE = True
CAPTURES = [
    (v, p.name)
    for v in vendors.names()
    for p in sorted(vendors.get(v).fixtures.glob("*.json"))
    if GENERATED[v].match(capture(v, p.name)["method"], capture(v, p.name)["path"]) is not None
]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.just("01a20c41-cda1-7a06-b0a1-000000000001"),
    st.just('[feedback-proxy] {"name": "n"}'),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def run(mappings: dict, vendor: str, c: dict, body) -> tuple:
    endpoint, params, _ = mappings[vendor].match(c["method"], c["path"])
    query = {k: v[0] if isinstance(v, list) else v for k, v in (c.get("query") or {}).items()}
    ctx = {"request_id": "r1", "make_id": lambda i: f"rec-{i}", "now_iso": "2026-01-01T00:00:00.000Z"}
    try:
        return "records", endpoint.decode(WireRequest(c["method"], params, query, {}, body), ctx)
    except ValidationFailed as e:
        return "refused", e.violations


def same(a, b) -> bool:  # NaN is not equal to itself
    return a == b or repr(a) == repr(b) and "nan" in repr(a)


def elements(body) -> list[dict]:
    """The objects a mutation may change: the body and those in its lists."""
    if not isinstance(body, dict):
        return []
    found = [body]
    for v in body.values():
        found += [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []
    return found


@pytest.mark.parametrize("vendor,name", CAPTURES)
def test_each_capture_decodes_alike(vendor, name):
    c = capture(vendor, name)
    body = decode_input(vendor, name)  # JSON as captured, or as the endpoint's wire reads it (OTLP)
    generated = run(GENERATED, vendor, c, copy.deepcopy(body))
    interpreted = run(INTERPRETED, vendor, c, copy.deepcopy(body))
    assert same(generated, interpreted)


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(CAPTURES), data=st.data())
def test_mutated_captures_decode_alike(which, data):
    vendor, name = which
    c = capture(vendor, name)
    body = copy.deepcopy(decode_input(vendor, name))
    targets = elements(body)
    for _ in range(data.draw(st.integers(0, 3))):
        if not targets:
            break
        obj = data.draw(st.sampled_from(targets))
        key = data.draw(st.sampled_from(sorted(obj) + ["value", "name", "reason", "category_name", "source", "id"]))
        if data.draw(st.booleans()):
            obj.pop(key, None)
        else:
            obj[key] = data.draw(ODD)
    generated = run(GENERATED, vendor, c, copy.deepcopy(body))
    interpreted = run(INTERPRETED, vendor, c, copy.deepcopy(body))
    assert same(generated, interpreted), (generated, interpreted)


def test_the_batch_endpoint_decodes_through_the_generated_loop():
    """A guard for the test above: it compares two different pieces of code."""
    endpoint = GENERATED["opik"].match("PUT", "/api/v1/private/traces/feedback-scores")[0]
    assert endpoint.decode.records_of is not None
    assert INTERPRETED["opik"].match("PUT", "/api/v1/private/traces/feedback-scores")[0].decode.records_of is None
    assert GENERATED["opik"].match("POST", "/api/v1/private/spans/batch")[0].decode.records_of is not None  # spans too
    assert ("opik", "POST_api_v1_private_spans_batch.json") in CAPTURES
