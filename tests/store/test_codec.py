"""The stored forms of a record: its JSON, and the print of what was delivered."""

from __future__ import annotations

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
