"""Rule constraints: required, type, bounds, pattern, one_of, items, unique.
A broken one raises RuleViolation naming the wire location."""

import pytest

from proxy.mapping.paths import MISSING
from proxy.mapping.rules import RuleViolation

from .rulekit import body, decode_rule


def violation(spec: dict, **fields) -> RuleViolation:
    with pytest.raises(RuleViolation) as info:
        decode_rule(spec)(body(**fields))
    return info.value


def test_required_missing_names_the_location():
    v = violation({"from": "body.name", "required": True})
    assert (v.loc, v.kind) == (("body", "name"), "missing")


def test_required_null_is_missing():
    assert violation({"from": "body.name", "required": True}, name=None).kind == "missing"


def test_optional_missing_skips_the_checks():
    assert decode_rule({"from": "body.name", "type": "string", "min_length": 1})(body()) is MISSING


@pytest.mark.parametrize(
    "type_, good, bad",
    [
        ("string", "x", 1),
        ("number", 0.5, "0.5"),
        ("number", -3, True),  # a bool is not a number
        ("integer", 4, 4.5),
        ("integer", 4.0, True),  # 4.0 is an integral number (JSON Schema, pydantic)
        ("boolean", False, 0),
        ("object", {}, []),
        ("array", [], {}),
        ("uuid", "01a20c41-cda1-7a06-b0a1-c98960495513", "01a20c41cda17a06b0a1c98960495513"),
        ("uuid", "00000000-0000-4000-8000-000000000000", "not-a-uuid"),
    ],
)
def test_type_checks(type_, good, bad):
    spec = {"from": "body.v", "type": type_}
    assert decode_rule(spec)(body(v=good)) == good
    v = violation(spec, v=bad)
    assert (v.kind, v.input) == ("type", bad)


def test_type_violation_says_what_was_expected():
    assert violation({"from": "body.v", "type": "integer"}, v=0.9).expected == "an integer"
    assert violation({"from": "body.v", "type": "uuid"}, v="x").expected == "a UUID"


def test_number_refuses_nan_and_infinity():
    assert violation({"from": "body.v", "type": "number"}, v=float("nan")).kind == "type"
    assert violation({"from": "body.v", "type": "number"}, v=float("inf")).kind == "type"


def test_min_and_max_are_inclusive():
    spec = {"from": "body.v", "min": 1, "max": 5}
    assert decode_rule(spec)(body(v=1)) == 1
    assert decode_rule(spec)(body(v=5)) == 5
    low, high = violation(spec, v=0), violation(spec, v=6)
    assert (low.kind, low.limit, low.input) == ("min", 1, 0)
    assert (high.kind, high.limit, high.input) == ("max", 5, 6)


def test_min_length_treats_blank_text_as_empty():
    spec = {"from": "body.v", "min_length": 1}
    assert decode_rule(spec)(body(v="a")) == "a"
    assert violation(spec, v="   ").kind == "min_length"
    assert violation(spec, v="").kind == "min_length"


def test_max_length():
    spec = {"from": "body.v", "max_length": 3}
    assert decode_rule(spec)(body(v="abc")) == "abc"
    v = violation(spec, v="abcd")
    assert (v.kind, v.limit) == ("max_length", 3)


def test_pattern_searches_the_text():
    spec = {"from": "body.v", "pattern": r"(?s)^\s*(\S.*\S|\S)\s*$"}
    assert decode_rule(spec)(body(v=" project ")) == " project "
    v = violation(spec, v="  ")
    assert (v.kind, v.limit) == ("pattern", spec["pattern"])


def test_one_of():
    spec = {"from": "body.v", "one_of": ["ui", "sdk", "online_scoring"]}
    assert decode_rule(spec)(body(v="ui")) == "ui"
    v = violation(spec, v="api")
    assert (v.kind, v.limit, v.input) == ("one_of", ["ui", "sdk", "online_scoring"], "api")


def test_min_items_and_max_items():
    spec = {"from": "body.v", "min_items": 1, "max_items": 2}
    assert decode_rule(spec)(body(v=["a", "b"])) == ["a", "b"]
    assert violation(spec, v=[]).kind == "min_items"
    assert violation(spec, v=["a", "b", "c"]).kind == "max_items"


def test_unique():
    spec = {"from": "body.v", "unique": True}
    assert decode_rule(spec)(body(v=["a", "b"])) == ["a", "b"]
    assert violation(spec, v=["a", "b", "a"]).kind == "unique"


def test_a_list_of_types_takes_any_of_them():
    spec = {"from": "body.v", "type": ["object", "array", "string"], "items": "object"}  # Opik's JsonListString
    for good in ({"a": 1}, [{"a": 1}], [], "text", ""):
        assert decode_rule(spec)(body(v=good)) == good
    v = violation(spec, v=42)
    assert (v.kind, v.expected) == ("type", "an object, an array or a string")
    assert (violation(spec, v=[{"a": 1}, "x"]).expected) == "an array of objects"


@pytest.mark.parametrize(
    "text, good",
    [
        ("2026-01-02T03:04:05Z", True),
        ("2026-01-02T03:04:05.123456+08:27", True),
        ("1263-09-25t20:03:50.82058z", True),
        ("2016-12-31T23:59:60Z", True),
        ("2026-01-02T12:99:00Z", False),
        ("2026-02-30T00:00:00Z", False),
        ("2026-01-02 03:04:05Z", False),
        ("2026-01-02T03:04:05", False),
        ("2026-01-02T03:04:05+24:00", False),
        ("yesterday", False),
    ],
)
def test_datetime_is_rfc_3339(text, good):
    spec = {"from": "body.v", "type": "datetime"}
    if good:
        assert decode_rule(spec)(body(v=text)) == text
    else:
        assert (violation(spec, v=text).kind, violation(spec, v=text).expected) == ("type", "a date-time")


def test_items_and_values_may_be_rules_each_element_keeps():
    tags = {"from": "body.v", "type": "array", "items": {"type": "string", "max_length": 3}}
    assert decode_rule(tags)(body(v=["abc", "d"])) == ["abc", "d"]
    v = violation(tags, v=["abc", "defg"])
    assert (v.loc, v.kind, v.limit, v.input) == (("body", "v", 1), "max_length", 3, "defg")
    usage = {"from": "body.v", "type": "object", "values": {"type": "integer", "min": 0, "max": 2**31 - 1}}
    assert decode_rule(usage)(body(v={"a": 1, "b": 2})) == {"a": 1, "b": 2}
    v = violation(usage, v={"a": 1, "b": "many"})
    assert (v.loc, v.kind, v.input, v.expected) == (("body", "v", "b"), "type", "many", "an integer")
    assert violation(usage, v={"a": 2**31}).kind == "max"
