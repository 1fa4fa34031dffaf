"""The body limits' quick pass (no locations kept) and the walk that says where agree on
every body: one passes exactly when the other raises nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.errors import BadRequest, PayloadTooLarge, ValidationFailed
from proxy.ingress import _refuse, _within, check_shape

LIMITS = (4, 3, 5)  # depth, items, string length: small, so generated bodies cross them
KEYS = st.text(max_size=7)
BODIES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=7)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=600, deadline=None)
@given(BODIES)
def test_the_quick_pass_and_the_located_walk_agree(body):
    try:
        _refuse(body, *LIMITS)
        refused = False
    except (BadRequest, PayloadTooLarge, ValidationFailed):
        refused = True
    assert _within(body, *LIMITS) is not refused


@pytest.mark.parametrize(
    "body, error, where",
    [
        ({"a": [[[[1]]]]}, BadRequest, "a[0][0][0]"),
        ({"a": {"b": "x" * 6}}, PayloadTooLarge, "a.b"),
        ({"a": [1, 2, 3, 4]}, ValidationFailed, None),
    ],
)
def test_a_refusal_still_says_where(body, error, where):
    with pytest.raises(error) as exc:
        check_shape(body, *LIMITS)
    if where:
        assert where in str(exc.value.message)
