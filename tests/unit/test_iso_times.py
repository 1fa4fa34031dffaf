"""codecs.core.iso_ms: milliseconds since the epoch as ISO 8601 UTC, the text every reply and record carries."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from proxy.codecs.core import iso_ms


def by_datetime(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.integers(min_value=0, max_value=4 * 10**12))
def test_a_whole_number_of_milliseconds_reads_as_datetime_writes_it(ms):
    assert iso_ms(ms) == by_datetime(ms)


@given(st.lists(st.integers(min_value=1_733_500_000_000, max_value=1_733_500_003_000), min_size=2, max_size=50))
def test_times_within_a_few_seconds_in_any_order_each_keep_their_own_second(times):
    assert [iso_ms(ms) for ms in times] == [by_datetime(ms) for ms in times]


@given(st.floats(min_value=-(10**12), max_value=4 * 10**12, allow_nan=False))
def test_fractions_and_times_before_1970_are_written_by_datetime(ms):
    assert iso_ms(ms) == by_datetime(ms)


def test_examples():
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(1_733_500_000_007) == "2024-12-06T15:46:40.007Z"
    assert iso_ms(-1) == "1969-12-31T23:59:59.999Z"
