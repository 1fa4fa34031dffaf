"""Rule steps that produce a value: from (with alternatives), const, template,
default, when, fn."""

import pytest

from proxy.mapping.paths import MISSING
from proxy.mapping.rules import RuleViolation
from proxy.model import Assessment

from .rulekit import body, decode_rule, encode_rule


def test_from_reads_one_path():
    assert decode_rule({"from": "body.name"})(body(name="a")) == "a"


def test_from_list_takes_the_first_present_alternative():
    run = decode_rule({"from": ["body.rating", "body.approval", "body.metadata.value"]})
    assert run(body(rating=4, approval="approved")) == 4
    assert run(body(rating=None, approval="approved")) == "approved"
    assert run(body(metadata={"value": 0.9})) == 0.9
    assert run(body()) is MISSING


def test_const_gives_its_value_whatever_the_input():
    assert decode_rule({"const": "upsert"})(body()) == "upsert"
    assert decode_rule({"const": [0, 1]})(body()) == [0, 1]
    assert decode_rule({"const": 0})(body()) == 0
    assert decode_rule({"const": False})(body()) is False


def test_no_source_at_all_is_missing():
    assert decode_rule({})(body()) is MISSING


def test_template_renders_field_references_and_literal_braces():
    run = decode_rule({"template": "{body.name}: {body.value} {{x}}"})
    assert run(body(name="acc", value=0.5)) == "acc: 0.5 {x}"


def test_template_renders_a_missing_reference_as_empty():
    assert decode_rule({"template": "{body.name}/{body.gone}"})(body(name="a")) == "a/"


def test_template_of_only_blanks_is_missing():
    assert decode_rule({"template": "{body.gone} "})(body()) is MISSING


def test_default_fills_a_missing_value_only():
    run = decode_rule({"from": "body.name", "default": "quality"})
    assert run(body()) == "quality"
    assert run(body(name=None)) == "quality"
    assert run(body(name="helpfulness")) == "helpfulness"


def test_default_runs_through_later_steps():
    run = decode_rule({"from": "body.v", "default": "approved", "enum": {"approved": 1, "rejected": 0}})
    assert run(body()) == 1


def test_when_that_holds_runs_the_rule():
    run = decode_rule({"const": "span", "when": {"body.span_id": {"exists": True}}, "default": "trace"})
    assert run(body(span_id="s1")) == "span"


def test_when_that_fails_falls_back_to_default():
    run = decode_rule({"const": "span", "when": {"body.span_id": {"exists": True}}, "default": "trace"})
    assert run(body()) == "trace"
    assert run(body(span_id=None)) == "trace"


def test_when_that_fails_without_default_leaves_the_field_unset():
    run = decode_rule({"from": "body.rating", "required": True, "when": {"body.assessment_type": {"eq": "rating"}}})
    assert run(body(assessment_type="comment")) is MISSING


def test_fn_calls_a_named_codec_function():
    assert decode_rule({"from": "body.ids", "fn": "core.length"})(body(ids=["a", "b", "c"])) == 3
    assert decode_rule({"from": "body.k", "fn": "core.title"})(body(k="user_satisfaction")) == "User Satisfaction"


def test_fn_answering_none_counts_as_missing_for_required():
    """core.label_score gives None for text without a number; `required` must catch it."""
    run = decode_rule({"from": "body.v", "fn": "core.label_score", "required": True})
    assert run(body(v="pass")) == 1
    assert run(body(v="0.8")) == 0.8
    with pytest.raises(RuleViolation) as info:
        run(body(v="excellent"))
    assert (info.value.loc, info.value.kind) == (("body", "v"), "missing")


def test_encode_rule_reads_record_fields_by_bare_name():
    run = encode_rule({"from": "name", "default": "quality"})
    assert run({"rec": Assessment(op="upsert", name="acc")}) == "acc"
    assert run({"rec": Assessment(op="upsert")}) == "quality"
