"""`when` / `accepts` conditions: exists, eq, ne, in (null matches an absent field); AND-ed."""

from proxy.mapping.conditions import Condition, compile_condition
from proxy.mapping.engine import ENCODE_ROOTS
from proxy.model import Assessment


def holds(when: dict, rec: Assessment, ctx: dict | None = None) -> bool:
    conds = {k: Condition(**v) for k, v in when.items()}
    return compile_condition(conds, ENCODE_ROOTS, "rec")({"rec": rec, "ctx": ctx or {}})


def test_exists_true_and_false():
    assert holds({"comment": {"exists": True}}, Assessment(op="upsert", comment="x"))
    assert not holds({"comment": {"exists": True}}, Assessment(op="upsert"))
    assert holds({"comment": {"exists": False}}, Assessment(op="upsert"))
    assert not holds({"comment": {"exists": False}}, Assessment(op="upsert", comment="x"))


def test_exists_counts_falsy_values_as_present():
    assert holds({"value": {"exists": True}}, Assessment(op="upsert", value=0))
    assert holds({"comment": {"exists": True}}, Assessment(op="upsert", comment=""))


def test_eq():
    assert holds({"op": {"eq": "upsert"}}, Assessment(op="upsert"))
    assert not holds({"op": {"eq": "upsert"}}, Assessment(op="delete"))
    assert holds({"value": {"eq": 1}}, Assessment(op="upsert", value=1.0))
    assert holds({"value": {"eq": 0}}, Assessment(op="upsert", value=0))


def test_ne_holds_for_an_absent_field():
    assert holds({"entity": {"ne": "thread"}}, Assessment(op="upsert", entity="span"))
    assert not holds({"entity": {"ne": "thread"}}, Assessment(op="upsert", entity="thread"))
    assert holds({"label": {"ne": "x"}}, Assessment(op="upsert"))


def test_in():
    cond = {"entity": {"in": ["trace", "span"]}}
    assert holds(cond, Assessment(op="upsert", entity="trace"))
    assert not holds(cond, Assessment(op="upsert", entity="thread"))


def test_in_compares_lists_as_values():
    cond = {"scale": {"in": [[0, 1]]}}
    assert holds(cond, Assessment(op="upsert", scale=[0, 1]))
    assert not holds(cond, Assessment(op="upsert", scale=[1, 5]))


def test_in_with_null_matches_an_absent_field():
    cond = {"scale": {"in": [[0, 1], None]}}
    assert holds(cond, Assessment(op="upsert"))
    assert holds(cond, Assessment(op="upsert", scale=[0, 1]))
    assert not holds(cond, Assessment(op="upsert", scale=[1, 5]))
    assert not holds({"name": {"in": ["quality"]}}, Assessment(op="upsert"))


def test_several_tests_on_one_field_are_anded():
    cond = {"value": {"exists": True, "ne": 5}}
    assert holds(cond, Assessment(op="upsert", value=4))
    assert not holds(cond, Assessment(op="upsert", value=5))
    assert not holds(cond, Assessment(op="upsert"))


def test_several_fields_are_anded():
    cond = {"op": {"eq": "upsert"}, "entity": {"eq": "span"}}
    assert holds(cond, Assessment(op="upsert", entity="span"))
    assert not holds(cond, Assessment(op="upsert", entity="trace"))
    assert not holds(cond, Assessment(op="delete", entity="span"))


def test_conditions_read_the_context():
    cond = {"ctx.vendor_id": {"exists": True}}
    assert holds(cond, Assessment(op="update"), {"vendor_id": "a1"})
    assert not holds(cond, Assessment(op="update"), {"vendor_id": None})


def test_in_is_accepted_under_its_yaml_name():
    assert Condition(**{"in": [1, 2]}).isin == [1, 2]
