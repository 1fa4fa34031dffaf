"""Writes is written out field by field (for speed): each of its fields is held here to every
method, so a field added to one and not the others fails."""

from __future__ import annotations

import inspect

import pytest

from proxy.store.writes import Writes


def test_every_field_is_a_keyword_of_init_and_a_fresh_empty_list_without_it():
    assert list(inspect.signature(Writes.__init__).parameters)[1:] == list(Writes.FIELDS)
    a, b = Writes(), Writes()
    for name in Writes.FIELDS:
        assert getattr(a, name) == [] and getattr(a, name) is not getattr(b, name)
        rows = [("row", name)]
        assert getattr(Writes(**{name: rows}), name) is rows


@pytest.mark.parametrize("name", Writes.FIELDS)
def test_each_field_is_extended_after_the_rows_there_and_makes_the_writes_true(name):
    mine, theirs = Writes(**{name: [1]}), Writes(**{name: [2, 3]})
    assert not Writes() and mine and theirs
    mine.extend(theirs)
    assert getattr(mine, name) == [1, 2, 3] and getattr(theirs, name) == [2, 3]
    assert all(getattr(mine, other) == [] for other in Writes.FIELDS if other != name)
    assert mine == Writes(**{name: [1, 2, 3]}) and mine != Writes() and name in repr(mine)
