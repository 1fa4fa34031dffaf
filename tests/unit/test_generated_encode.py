"""The generated encode (each encode case's gate and field lists as one function each:
codegen.gate and codegen.encode_fields) must give what the interpreter gives from the
same rule forms, for every record the captures decode to and for hypothesis's mutations of
them: the same gate answer, the same (path, query, body), or the same refusal."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy import vendors
from proxy.errors import EncodeError, ValidationFailed
from proxy.mapping import codegen, load_all
from proxy.model import Ref, replace

from .support import decode_capture

GENERATED = load_all()
codegen.INLINE = False
INTERPRETED = load_all()
codegen.INLINE = True


def _decoded(vendor: str, name: str) -> list:
    try:
        return decode_capture(vendor, name)
    except (ValidationFailed, AssertionError):  # a capture of a refusal, or of an endpoint no mapping has
        return []


RECORDS = [
    rec for v in vendors.names() for p in sorted(vendors.get(v).fixtures.glob("*.json")) for rec in _decoded(v, p.name)
]
CASES = [
    (vendor, name, i) for vendor, m in GENERATED.items() for name, e in m.endpoints.items() for i in range(len(e.cases))
]
CTX = {
    "translate": lambda ref, kind: f"{kind}-{ref.vendor}-{ref.value}",
    "now_iso": "2026-01-01T00:00:00.000Z",
    "assessment_id": "as-1",
    "new_id": "new-1",
    "url": "http://upstream",
    "account_id": "acc-1",
    "created_by": "me",
}
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.just(Ref("opik", "01a20c41-cda1-7a06-b0a1-000000000001")),
    st.just('[feedback-proxy] {"name": "n"}'),
    st.lists(st.floats(0, 1), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
FIELDS = [
    "value",
    "name",
    "label",
    "comment",
    "source",
    "project",
    "scale",
    "span_id",
    "trace_id",
    "root_span_id",
    "entity",
    "metadata",
    "author",
    "created_at",
    "names",
    "thread_id",
    "correction",
    "rubric",
]


def build(mappings: dict, case: tuple, rec) -> tuple:
    vendor, name, i = case
    compiled = mappings[vendor].endpoints[name].cases[i]
    src = {"rec": rec, "ctx": CTX}
    if not compiled.gate(src):
        return ("not taken",)
    try:
        return "built", compiled.build(rec, dict(CTX))
    except EncodeError as e:
        return "refused", e.message, e.missing


def test_the_captures_are_encoded_by_generated_code():
    """A guard for the tests below: they compare two different pieces of code."""
    assert RECORDS and CASES
    assert any(c.body is not None and c.body.fast is not None for c in GENERATED["tracia"].cases)
    assert all(c.body is None or c.body.fast is None for c in INTERPRETED["tracia"].cases)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_each_record_encodes_alike(case):
    for rec in RECORDS:
        assert build(GENERATED, case, rec) == build(INTERPRETED, case, rec), rec


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), data=st.data())
def test_mutated_records_encode_alike(case, data):
    rec = data.draw(st.sampled_from(RECORDS))
    for _ in range(data.draw(st.integers(1, 3))):
        rec = replace(rec, **{data.draw(st.sampled_from([f for f in FIELDS if hasattr(rec, f)])): data.draw(ODD)})
    assert build(GENERATED, case, rec) == build(INTERPRETED, case, rec)
