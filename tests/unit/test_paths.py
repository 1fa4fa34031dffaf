"""Field paths: parsing, getters (MISSING on absent or null), [n] indexes, setters."""

import pytest

from proxy.mapping.paths import MISSING, compile_getter, parse, setter
from proxy.model import Assessment, Ref

ROOTS = frozenset({"body", "item", "path", "query", "ctx"})


def get(path, src, record_root=None, roots=ROOTS):
    return compile_getter(path, roots, record_root)[1](src)


def test_parse_splits_names_and_indexes():
    assert parse("body.scores[0].id") == ("body", "scores", 0, "id")
    assert parse("a[0][12]") == ("a", 0, 12)


@pytest.mark.parametrize("bad", ["a..b", "a.", ".a", "a[0", "a[x]", "a[]", "", "a]"])
def test_parse_rejects_malformed_paths(bad):
    with pytest.raises(ValueError, match="not a field path"):
        parse(bad)


def test_getter_reads_nested_keys():
    assert get("body.a.b", {"body": {"a": {"b": 3}}}) == 3


def test_getter_gives_missing_for_absent_key():
    assert get("body.a.b", {"body": {"a": {}}}) is MISSING
    assert get("body.a.b", {"body": {}}) is MISSING


def test_getter_gives_missing_for_null_at_any_step():
    assert get("body.a.b", {"body": {"a": None}}) is MISSING
    assert get("body.a", {"body": {"a": None}}) is MISSING
    assert get("body", {"body": None}) is MISSING


def test_getter_keeps_falsy_values():
    assert get("body.v", {"body": {"v": 0}}) == 0
    assert get("body.v", {"body": {"v": ""}}) == ""
    assert get("body.v", {"body": {"v": False}}) is False


def test_getter_indexes_lists_and_gives_missing_out_of_range():
    src = {"body": {"scores": [{"id": "a"}, {"id": "b"}]}}
    assert get("body.scores[1].id", src) == "b"
    assert get("body.scores[2].id", src) is MISSING
    assert get("body.scores[0]", {"body": {"scores": [None]}}) is MISSING


def test_getter_does_not_index_a_dict_or_walk_into_a_scalar():
    assert get("body.a[0]", {"body": {"a": {"0": 1}}}) is MISSING
    assert get("body.a.b", {"body": {"a": "text"}}) is MISSING


def test_unknown_root_is_refused_without_a_record_root():
    with pytest.raises(ValueError, match="unknown root 'bogus'"):
        compile_getter("bogus.x", ROOTS)


def test_bare_name_reads_the_record_on_encode():
    rec = Assessment(op="upsert", name="accuracy", span_id=Ref("opik", "s1"))
    roots = frozenset({"rec", "item", "ctx"})
    assert get("name", {"rec": rec}, "rec", roots) == "accuracy"
    assert get("span_id.value", {"rec": rec}, "rec", roots) == "s1"
    assert get("comment", {"rec": rec}, "rec", roots) is MISSING
    assert get("ctx.now", {"rec": rec, "ctx": {"now": "t"}}, "rec", roots) == "t"


def test_setter_builds_nested_objects():
    out = {}
    setter("metadata.opik.name")(out, "x")
    setter("metadata.opik.value")(out, 1)
    setter("top")(out, True)
    assert out == {"metadata": {"opik": {"name": "x", "value": 1}}, "top": True}
