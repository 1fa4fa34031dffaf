"""Value transforms, in their fixed order: rescale -> round -> clamp -> threshold -> enum."""

from proxy.mapping.paths import MISSING
from proxy.model import Assessment

from .rulekit import body, decode_rule, encode_rule


def test_rescale_between_fixed_ranges():
    run = decode_rule({"from": "body.v", "rescale": {"from": [0, 1], "to": [1, 5]}})
    assert run(body(v=0)) == 1
    assert run(body(v=1)) == 5
    assert run(body(v=0.5)) == 3


def test_rescale_can_invert_a_range():
    assert decode_rule({"from": "body.v", "rescale": {"from": [0, 10], "to": [1, 0]}})(body(v=2.5)) == 0.75


def test_rescale_auto_uses_the_record_scale():
    run = encode_rule({"from": "value", "rescale": {"from": "auto", "to": [0, 1]}})
    assert run({"rec": Assessment(op="upsert", value=4, scale=[1, 5])}) == 0.75
    assert run({"rec": Assessment(op="upsert", value=0.3, scale=[0, 1])}) == 0.3


def test_rescale_auto_without_a_record_scale_leaves_the_value():
    run = encode_rule({"from": "value", "rescale": {"from": "auto", "to": [0, 1]}})
    assert run({"rec": Assessment(op="upsert", value=-3.5)}) == -3.5


def test_rescale_passes_non_numbers_through():
    assert decode_rule({"from": "body.v", "rescale": {"from": [0, 1], "to": [1, 5]}})(body(v="x")) == "x"


def test_round_true_rounds_half_up_to_an_integer():
    run = decode_rule({"from": "body.v", "round": True})
    assert run(body(v=2.5)) == 3 and isinstance(run(body(v=2.5)), int)
    assert run(body(v=3.5)) == 4
    assert run(body(v=4.49)) == 4


def test_round_to_digits():
    assert decode_rule({"from": "body.v", "round": 2})(body(v=0.12345)) == 0.12


def test_clamp_to_a_given_range():
    run = decode_rule({"from": "body.v", "clamp": [1, 5]})
    assert run(body(v=7)) == 5
    assert run(body(v=-2)) == 1
    assert run(body(v=3)) == 3


def test_clamp_true_uses_the_rescale_target():
    run = decode_rule({"from": "body.v", "rescale": {"from": [0, 1], "to": [1, 5]}, "round": True, "clamp": True})
    assert run(body(v=0.8)) == 4  # 4.2 -> 4
    assert run(body(v=1.7)) == 5  # 7.8 -> 8 -> 5
    assert run(body(v=-1)) == 1


def test_threshold_gives_one_at_or_above_and_zero_below():
    run = decode_rule({"from": "body.v", "threshold": 0.5})
    assert run(body(v=0.5)) == 1
    assert run(body(v=0.49)) == 0
    assert run(body(v=8)) == 1


def test_rescale_then_threshold():
    run = encode_rule({"from": "value", "rescale": {"from": "auto", "to": [0, 1]}, "threshold": 0.5})
    assert [run({"rec": Assessment(op="upsert", value=v, scale=[1, 5])}) for v in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 1]


def test_enum_maps_text_keys():
    run = decode_rule({"from": "body.v", "enum": {"approved": 1, "rejected": 0}})
    assert run(body(v="approved")) == 1
    assert run(body(v="rejected")) == 0


def test_enum_numeric_keys_match_int_float_and_text():
    run = decode_rule({"from": "body.v", "enum": {1: "approved", 0: "rejected"}})
    assert run(body(v=1)) == "approved"
    assert run(body(v=1.0)) == "approved"
    assert run(body(v="0")) == "rejected"


def test_enum_without_fallback_passes_unknown_values_through():
    assert decode_rule({"from": "body.v", "enum": {"a": "b"}})(body(v="zzz")) == "zzz"


def test_enum_star_is_the_fallback():
    run = decode_rule({"from": "body.v", "enum": {"ui": "ui", "dashboard": "ui", "*": "sdk"}})
    assert run(body(v="dashboard")) == "ui"
    assert run(body(v="api")) == "sdk"


def test_enum_star_null_gives_null():
    assert decode_rule({"from": "body.v", "enum": {"rating": [1, 5], "*": None}})(body(v="rubric")) is None


def test_enum_leaves_missing_alone():
    assert decode_rule({"from": "body.v", "enum": {"*": "sdk"}})(body()) is MISSING


def test_enum_runs_after_threshold():
    run = decode_rule({"from": "body.v", "threshold": 0.5, "enum": {1: "approved", 0: "rejected"}})
    assert run(body(v=0.7)) == "approved"
    assert run(body(v=0.2)) == "rejected"
