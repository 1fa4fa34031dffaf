"""Every captured Tracia evaluate request decodes to the expected canonical record."""

import pytest

from proxy.errors import ValidationFailed
from proxy.model import Ref

from .support import MAPPINGS, capture, decode, decode_capture

SPAN = Ref("tracia", "sp_0123456789abcdef")


def test_evaluate_with_a_note():
    [rec] = decode_capture("tracia", "POST_api_v1_spans_sp_0123456789abcdef_evaluations.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "span_id": SPAN,
        "name": "quality",
        "value": 1,
        "scale": [0, 1],
        "comment": "looks right",
        "source": "api",
    }
    assert rec.origin == {"vendor": "tracia", "endpoint": "evaluate", "overwrites": False}


def test_evaluate_negative_without_a_note():
    [rec] = decode_capture("tracia", "POST_api_v1_spans_sp_0123456789abcdef_evaluations.2.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "span_id": SPAN,
        "name": "quality",
        "value": 0,
        "scale": [0, 1],
        "source": "api",
    }


def test_evaluate_float_value_passes_through():
    [rec] = decode_capture("tracia", "POST_api_v1_spans_sp_0123456789abcdef_evaluations.3.json")
    assert (rec.value, rec.comment) == (0.75, "float")


def test_evaluate_from_the_async_client():
    [rec] = decode_capture("tracia", "POST_api_v1_spans_sp_0123456789abcdef_evaluations.4.json")
    assert (rec.span_id, rec.name, rec.value, rec.comment) == (SPAN, "quality", 1, "async")


def test_evaluate_on_a_legacy_tr_span_id_with_another_key():
    [rec] = decode_capture("tracia", "POST_api_v1_spans_tr_0123456789abcdef_evaluations.json")
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "span_id": Ref("tracia", "tr_0123456789abcdef"),
        "name": "helpfulness",
        "value": 8,
        "scale": [0, 1],
        "source": "api",
    }


def test_evaluate_span_id_is_percent_decoded():
    [rec] = decode_capture("tracia", "POST_api_v1_spans_sp_abc_2Fspecial_20id_evaluations.json")
    assert rec.span_id == Ref("tracia", "sp_abc/special id")


def test_note_with_a_carried_trailer_restores_the_fields():
    note = 'looks right\n[feedback-proxy] {"value": 0.9, "label": "good", "scale": [0, 1]}'
    [rec] = decode(
        "tracia",
        "POST",
        "/api/v1/spans/sp_0123456789abcdef/evaluations",
        {"evaluatorKey": "accuracy", "value": 1, "note": note},
    )
    assert rec.present() == {
        "op": "upsert",
        "entity": "span",
        "span_id": SPAN,
        "name": "accuracy",
        "value": 0.9,
        "scale": [0, 1],
        "label": "good",
        "comment": "looks right",
        "source": "api",
    }


def test_trailer_cannot_change_what_the_record_does():
    note = '[feedback-proxy] {"op": "delete", "id": "x", "origin": {}, "value": 0.2, "nope": 1}'
    [rec] = decode(
        "tracia",
        "POST",
        "/api/v1/spans/sp_0123456789abcdef/evaluations",
        {"evaluatorKey": "quality", "value": 0, "note": note},
    )
    assert (rec.op, rec.id, rec.origin["vendor"], rec.value, rec.comment) == ("upsert", "rec-0", "tracia", 0.2, None)


def test_span_reads_have_no_feedback_endpoint_and_creates_decode_to_spans():
    for name in ("GET_api_v1_spans.json", "GET_api_v1_spans_sp_0123456789abcdef.json"):
        c = capture("tracia", name)
        assert MAPPINGS["tracia"].match(c["method"], c["path"]) is None, name
    assert [r.op for r in decode_capture("tracia", "POST_api_v1_spans.json")] == [
        "span"
    ]  # tests/unit/test_spans_decode.py


@pytest.mark.parametrize(
    "body, loc, kind",
    [
        ({"value": 1}, ("body", "evaluatorKey"), "missing"),
        ({"evaluatorKey": "", "value": 1}, ("body", "evaluatorKey"), "min_length"),
        ({"evaluatorKey": "quality"}, ("body", "value"), "missing"),
        ({"evaluatorKey": "quality", "value": "1"}, ("body", "value"), "type"),
        ({"evaluatorKey": "quality", "value": 1, "note": 5}, ("body", "note"), "type"),
    ],
)
def test_evaluate_violations(body, loc, kind):
    with pytest.raises(ValidationFailed) as info:
        decode("tracia", "POST", "/api/v1/spans/sp_0123456789abcdef/evaluations", body)
    assert [(v.loc, v.kind) for v in info.value.violations] == [(loc, kind)]
