"""A broken mapping file is a ConfigError naming file:line:column and the key path."""

import textwrap

import pytest

from proxy import vendors
from proxy.errors import ConfigError
from proxy.mapping import load_all, load_vendor

from .support import MAPPINGS

HEAD = """\
vendor: acme
auth: {header: x-key}
error: scale.error_body
endpoints:
  create:
    method: POST
    path: /v1/things
"""


def load_error(tmp_path, text: str) -> str:
    path = tmp_path / "acme.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as info:
        load_vendor(path)
    return info.value.message.replace(str(path), "acme.yaml")


def test_unknown_rule_key_points_at_the_key(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        name: {from: body.name, requird: true}
""",
    )
    assert msg == "acme.yaml:10:33: endpoints::create::decode::fields::name::requird: Extra inputs are not permitted"


def test_bad_fn_name_points_at_the_value(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        name: {from: body.name, fn: core.nope}
""",
    )
    assert msg == (
        "acme.yaml:10:37: endpoints::create::decode::fields::name::fn: "
        "Value error, fn 'core.nope': codec 'core' has no function 'nope'"
    )


def test_fn_in_an_unknown_codec_module(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    encode:
      - body:
          id: {from: span_id, fn: acme.make_id}
""",
    )
    assert msg.startswith("acme.yaml:10:35: endpoints::create::encode::0::body::id::fn: ")
    assert msg.endswith("no codec module 'acme'")


def test_bad_error_codec(tmp_path):
    msg = load_error(tmp_path, HEAD.replace("scale.error_body", "scale.nope"))
    assert msg == "acme.yaml:3:8: error: Value error, fn 'scale.nope': codec 'scale' has no function 'nope'"


def test_bad_id_maker(tmp_path):
    msg = load_error(tmp_path, HEAD.replace("endpoints:", "ids: {span: tracia.span_ids}\nendpoints:"))
    assert msg == "acme.yaml:4:6: ids: Value error, fn 'tracia.span_ids': codec 'tracia' has no function 'span_ids'"


def test_unknown_type(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        name: {from: body.name, type: strng}
""",
    )
    assert msg.startswith(
        "acme.yaml:10:39: endpoints::create::decode::fields::name::type: Value error, unknown type 'strng'"
    )


def test_malformed_field_path(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        name: {from: body..name}
""",
    )
    assert (
        msg
        == "acme.yaml:10:22: endpoints::create::decode::fields::name::from: Value error, not a field path: 'body..name'"
    )


def test_unknown_condition_key_in_an_encode_case(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    encode:
      - accepts: {op: {equals: upsert}}
        body: {a: {from: name}}
""",
    )
    assert msg == "acme.yaml:9:24: endpoints::create::encode::0::accepts::op::equals: Extra inputs are not permitted"


def test_missing_required_key(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        value: {from: body.v, rescale: {from: [0, 1]}}
""",
    )
    assert msg == "acme.yaml:10:40: endpoints::create::decode::fields::value::rescale::to: Field required"


def test_merged_anchor_keys_are_located_too(tmp_path):
    msg = load_error(
        tmp_path,
        ".common: &common\n  op: {const: upsert, bogus: 1}\n"
        + HEAD
        + """\
    decode:
      fields:
        <<: *common
        name: {from: body.name}
""",
    )
    assert msg.startswith("acme.yaml:2:23: endpoints::create::decode::fields::op::bogus: Extra inputs")  # in the anchor


def test_unknown_root_names_the_file_and_the_path(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        name: {from: bogus.name}
""",
    )
    assert msg.startswith("acme.yaml: unknown root 'bogus' in 'bogus.name'")


def test_not_yaml_names_the_line(tmp_path):
    msg = load_error(tmp_path, "vendor: acme\nauth: {header: x\n")
    assert msg.startswith("acme.yaml:3: not valid YAML")


def test_several_errors_say_how_many_more(tmp_path):
    msg = load_error(
        tmp_path,
        HEAD
        + """\
    decode:
      fields:
        a: {from: body.a, nope: 1}
        b: {from: body.b, nope: 1}
""",
    )
    assert msg.endswith("Extra inputs are not permitted (and 1 more)")


def test_the_builtin_mappings_load():
    assert sorted(MAPPINGS) == vendors.names()  # support.py loaded them with load_all(): every vendor folder's
    assert all(MAPPINGS[v].vendor == v for v in vendors.names())


def test_an_empty_directory_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no mapping files"):
        load_all(tmp_path)


def test_reconcile_is_for_a_create_and_names_a_list_endpoint(tmp_path):
    reconcile = """\
    reconcile: {list: list, query: {trace_id: trace_id}, match: [rating]}
"""
    assert "the endpoint needs creates: true" in load_error(tmp_path, HEAD + reconcile)
    msg = load_error(tmp_path, HEAD + "    creates: true\n" + reconcile)
    assert "reconcile.list names no endpoint 'list'; known: create" in msg
