"""The stored forms of a record: its JSON, and the print of what was delivered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from proxy import jsonio
from proxy.model import Assessment, Ref, Span
from proxy.store import codec

SCORE = Assessment(
    op="upsert",
    entity="span",
    span_id=Ref("tracia", "sp_1"),
    trace_id=Ref("opik", "u"),
    name="q",
    value=0.5,
    created_at="2026-01-01T00:00:00Z",
    id="r1",
    origin={"vendor": "tracia", "route": 0},
)
SPAN = Span(
    op="span",
    entity="span",
    span_id=Ref("tracia", "sp_1"),
    trace_id=Ref("tracia", "tr_1"),
    id="tracia:span:sp_1",
    origin={"x": 1},
)


def test_a_record_comes_back_as_it_was_stored():
    assert codec.load(codec.dump(SCORE)) == SCORE and codec.load(codec.dump(SPAN)) == SPAN


def test_prints_are_the_ones_earlier_versions_kept():
    """A store keeps each delivered record's print and compares it with the print of what is
    about to be sent (worker.py, back-fill): a change of the printed text would send every
    record once more after an upgrade. These were made by the code that first wrote prints."""
    assert (codec.fingerprint(SCORE), codec.fingerprint(SPAN)) == ("09386f28599412e7", "05f47f8a6737cbf7")


def test_a_print_is_of_the_content_not_of_when_or_how_it_was_accepted():
    moved = Assessment(
        **{
            **{f: getattr(SCORE, f) for f in Assessment.__dataclass_fields__},
            "created_at": "2027-01-01T00:00:00Z",
            "origin": {"vendor": "opik", "route": 3},
        }
    )
    assert codec.fingerprint(moved) == codec.fingerprint(SCORE)
    assert codec.fingerprint(
        Assessment(**{**{f: getattr(SCORE, f) for f in Assessment.__dataclass_fields__}, "value": 0.6})
    ) != codec.fingerprint(SCORE)


def _plain_fields(rec) -> dict:
    """What the generated dict means, as a loop over the fields: each with a value, under its key on
    disk, a Ref as [vendor, value], an empty origin left out, "kind" first for a span."""
    out = {"kind": "span"} if isinstance(rec, Span) else {}
    for name in type(rec).__dataclass_fields__:
        v = getattr(rec, name)
        if v is None or (name == "origin" and v == {}):
            continue
        out[{"vendor_id": "assessment_id"}.get(name, name)] = [v.vendor, v.value] if isinstance(v, Ref) else v
    return out


_REF = st.builds(Ref, st.sampled_from(["opik", "tracia", "scale"]), st.text(min_size=1, max_size=8))
_MAYBE = (
    st.none() | st.text(max_size=5) | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | _REF | st.just({})
)


@given(
    st.sampled_from([Assessment, Span]).flatmap(
        lambda kind: st.fixed_dictionaries(
            {"op": st.sampled_from(["upsert", "span"])},
            optional={n: _MAYBE for n in kind.__dataclass_fields__ if n != "op"},
        ).map(lambda fields: kind(**fields))
    )
)
def test_a_record_is_stored_as_its_fields_with_a_value(rec):
    """The dict is written as straight-line code from the field names (for speed): it means what the loop does."""
    assert jsonio.loads(codec.dump(rec)) == jsonio.loads(jsonio.dumps(_plain_fields(rec)))
    assert list(jsonio.loads(codec.dump(rec))) == list(_plain_fields(rec))  # and in the same order
