"""An endpoint's `also_decode` (records of several kinds from one request) and its `wire`
codec functions (a body that is not JSON), as the mapping loader takes them. What the wire
functions do on a live proxy: tests/otel/."""

import textwrap

import pytest

from proxy.errors import ConfigError
from proxy.mapping import WireRequest, load_vendor
from proxy.model import Assessment, Span

ACME = """\
vendor: acme
auth: {header: x-key}
error: scale.error_body
endpoints:
  export:
    method: POST
    path: /v1/export
"""


def mapping(tmp_path, endpoint: str):
    path = tmp_path / "acme.yaml"
    path.write_text(ACME + textwrap.indent(textwrap.dedent(endpoint), " " * 4))
    return load_vendor(path)


TWO_KINDS = """\
decode:
  record: span
  each: body.spans
  fields: {span_id: {from: item.id, required: true}, trace_id: {from: item.trace}, name: {from: item.name}}
also_decode:
  - each: body.marks
    fields: {op: {const: upsert}, span_id: {from: item.span}, name: {from: item.name}, value: {from: item.value}}
"""


def test_also_decode_makes_records_of_another_kind_from_the_same_request(tmp_path):
    m = mapping(tmp_path, TWO_KINDS)
    endpoint, params, _ = m.match("POST", "/v1/export")
    body = {
        "spans": [{"id": "s1", "trace": "t1", "name": "root"}],
        "marks": [{"span": "s1", "name": "a", "value": 1}, {"span": "s1", "name": "b", "value": 0}],
    }
    records = endpoint.decode(
        WireRequest("POST", params, {}, {}, body), {"request_id": "r", "make_id": lambda i: f"rec-{i}"}
    )
    assert [type(r) for r in records] == [Span, Assessment, Assessment]
    assert records[0].span_id.value == "s1" and records[0].id == "acme:span:s1"
    # the ids of the second part go on from the first's records: none of the request's records share one
    assert [(r.name, r.value, r.id) for r in records[1:]] == [("a", 1, "rec-1"), ("b", 0, "rec-2")]
    assert [d.record for d in endpoint.spec.decodes] == ["span", "assessment"]


def test_also_decode_needs_a_decode_first(tmp_path):
    with pytest.raises(ConfigError, match="also_decode: comes after a decode"):
        mapping(tmp_path, "also_decode:\n  - fields: {op: {const: upsert}}\n")


@pytest.mark.parametrize("key", ["request", "reply", "send"])
def test_a_wire_function_must_be_a_codec_function(tmp_path, key):
    with pytest.raises(ConfigError, match="no codec module 'nowhere'"):
        mapping(tmp_path, f"wire: {{{key}: nowhere.read}}\n")


def test_without_wire_functions_the_endpoint_speaks_json(tmp_path):
    endpoint = mapping(tmp_path, TWO_KINDS).endpoints["export"]
    assert endpoint.read_body is None and endpoint.reply_wire is None and endpoint.send_body is None


KEYED = """\
decode:
  each: body.marks
  key: [span_id, name]
  fields: {op: {const: upsert}, span_id: {from: item.span}, name: {from: item.name}, value: {from: item.value}}
"""


def test_a_keyed_record_has_the_same_id_on_any_request(tmp_path):
    """`key`: what identifies a record. Two requests carrying it (however close together) make one record."""
    endpoint = mapping(tmp_path, KEYED).endpoints["export"]

    def decode(body, request_id):
        return endpoint.decode(WireRequest("POST", {}, {}, {}, body), {"request_id": request_id})

    first = decode({"marks": [{"span": "s1", "name": "a", "value": 1}, {"span": "s1", "name": "b", "value": 1}]}, "r1")
    again = decode({"marks": [{"span": "s1", "name": "b", "value": 0.5}]}, "r2")
    assert again[0].id == first[1].id != first[0].id
    assert first[0].origin["keyed"] is True
    assert decode({"marks": [{"span": "s2", "name": "a"}]}, "r3")[0].id != first[0].id


def test_a_key_names_canonical_fields(tmp_path):
    with pytest.raises(ConfigError, match="key: 'spanId' is not a canonical field"):
        mapping(tmp_path, KEYED.replace("key: [span_id, name]", "key: [spanId]"))
