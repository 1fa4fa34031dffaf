"""Per-route overrides: encode cases a route tries before the mapping's own."""

import pytest

from proxy.errors import ConfigError

from .support import MAPPINGS, reasons, score, target, wire

SCALE = MAPPINGS["scale"]
HELPFULNESS_AS_RATING = {
    "endpoint": "create",
    "accepts": {"op": {"eq": "upsert"}, "name": {"eq": "helpfulness"}},
    "body": {
        "trace_id": {"from": "trace_id", "id": "trace", "required": True},
        "span_id": {"from": "span_id", "id": "span"},
        "assessment_type": {"const": "rating"},
        "rating": {"from": "value", "rescale": {"from": [0, 1], "to": [1, 5]}, "round": True, "clamp": True},
    },
}


def scale_with(*cases):
    return target("scale").with_overrides(SCALE.compile_overrides(list(cases), "routes[0].overrides.scale"))


def opik_score(name, value):
    return score(entity="span", trace_id=("opik", "t1"), span_id=("opik", "s1"), name=name, value=value, source="sdk")


def test_opik_helpfulness_becomes_a_scale_rating_rescaled_from_0_1():
    requests, refused = scale_with(HELPFULNESS_AS_RATING).encode([opik_score("helpfulness", 0.8)])
    assert refused == []
    assert wire(requests) == [
        ("POST", "/v5/span-assessments", {"trace_id": "t1", "span_id": "s1", "assessment_type": "rating", "rating": 4})
    ]
    assert requests[0].endpoint == "create"


@pytest.mark.parametrize("value, rating", [(0.0, 1), (0.5, 3), (0.62, 3), (0.63, 4), (1.0, 5), (1.4, 5), (-0.2, 1)])
def test_override_rescale_rounds_and_clamps(value, rating):
    requests, _ = scale_with(HELPFULNESS_AS_RATING).encode([opik_score("helpfulness", value)])
    assert requests[0].body["rating"] == rating


def test_records_the_override_does_not_accept_use_the_mapping():
    requests, _ = scale_with(HELPFULNESS_AS_RATING).encode([opik_score("accuracy", 0.8)])
    assert requests[0].body == {
        "trace_id": "t1",
        "span_id": "s1",
        "assessment_type": "metadata",
        "metadata": {"name": "accuracy", "value": 0.8, "source": "sdk"},
    }


def test_an_override_failing_a_required_field_refuses_the_record():
    rec = score(entity="span", span_id=("opik", "s1"), name="helpfulness", value=0.8)
    requests, refused = scale_with(HELPFULNESS_AS_RATING).encode([rec])
    assert (requests, reasons(refused)) == ([], ["scale create: trace_id: missing (from trace_id)"])


def test_the_first_matching_override_wins():
    approval = {
        "endpoint": "create",
        "accepts": {"name": {"eq": "helpfulness"}},
        "body": {
            "trace_id": {"from": "trace_id", "required": True},
            "assessment_type": {"const": "approval"},
            "approval": {"from": "value", "threshold": 0.5, "enum": {1: "approved", 0: "rejected"}},
        },
    }
    requests, _ = scale_with(approval, HELPFULNESS_AS_RATING).encode([opik_score("helpfulness", 0.8)])
    assert requests[0].body == {"trace_id": "t1", "assessment_type": "approval", "approval": "approved"}


def test_an_override_can_group_for_opik():
    override = {
        "endpoint": "spans_scores",
        "accepts": {"name": {"eq": "quality"}},
        "group": {"into": "scores", "max": 2},
        "body": {
            "id": {"from": "span_id", "id": "span"},
            "name": {"const": "tracia_quality"},
            "value": {"from": "value"},
            "source": {"const": "sdk"},
        },
    }
    opik = target("opik").with_overrides(MAPPINGS["opik"].compile_overrides([override], "o"))
    span = "01a20c41-cda2-71b4-9594-4a914fb72968"
    records = [score(entity="span", span_id=("opik", span), name="quality", value=v) for v in (1, 0, 1)]
    requests, _ = opik.encode(records)
    assert [len(r.body["scores"]) for r in requests] == [2, 1]
    assert requests[0].body["scores"][0] == {"id": span, "name": "tracia_quality", "value": 1, "source": "sdk"}


def test_an_override_naming_an_unknown_endpoint_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        SCALE.compile_overrides([{**HELPFULNESS_AS_RATING, "endpoint": "ratings"}], "routes[0].overrides.scale")
    assert (
        info.value.message
        == "routes[0].overrides.scale[0].endpoint: scale has no endpoint 'ratings'; known: create, get, list, update, "
        "delete, create_span, create_spans, upsert_spans, update_span"
    )


def test_an_override_with_an_unknown_key_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        SCALE.compile_overrides([{**HELPFULNESS_AS_RATING, "bodyy": {}}], "routes[1].overrides.scale")
    assert info.value.message == "routes[1].overrides.scale[0]: ('bodyy',): Extra inputs are not permitted"


def test_an_override_with_a_bad_fn_is_a_config_error():
    bad = {"endpoint": "create", "body": {"rating": {"from": "value", "fn": "scale.nope"}}}
    with pytest.raises(
        ConfigError,
        match=r"\('body', 'rating', 'fn'\): Value error, fn 'scale.nope': codec 'scale' has no function 'nope'",
    ):
        SCALE.compile_overrides([bad], "routes[0].overrides.scale")


def test_an_override_without_an_endpoint_is_a_config_error():
    with pytest.raises(ConfigError, match=r"\('endpoint',\): Field required"):
        SCALE.compile_overrides([{"body": {}}], "routes[0].overrides.scale")
