"""The loss report's map of which canonical field feeds which target field (mapping/explain.py)."""

from proxy.mapping import load_all
from proxy.mapping.explain import _encode_feeds


def test_an_encode_that_reuses_the_create_feeds_every_field_the_create_sends():
    """Scale's update sends the whole assessment as its create would (`reuse: create`): each field
    is reported as reaching it, not only one (a dict comprehension with one key kept the last)."""
    [case] = [c for c in load_all()["scale"].endpoints["update"].cases if c.spec.reuse]
    feeds = _encode_feeds(case)
    reused = {field for field, targets in feeds.items() if "(as a create)" in targets}
    assert {"value", "comment", "name", "label", "metadata"} <= reused
