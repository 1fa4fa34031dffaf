"""Carrying fields a target cannot hold: into a text trailer (Tracia note) or an object (Scale metadata)."""

from proxy.mapping import carry


def test_attach_to_text_adds_a_trailer_line():
    assert (
        carry.attach("looks right", {"value": 0.9, "label": "good"})
        == 'looks right\n[feedback-proxy] {"value": 0.9, "label": "good"}'
    )


def test_attach_to_nothing_is_only_the_trailer():
    assert carry.attach(None, {"value": 8}) == '[feedback-proxy] {"value": 8}'
    assert carry.attach("", {"value": 8}) == '[feedback-proxy] {"value": 8}'


def test_attach_nothing_keeps_the_base():
    assert carry.attach("note", {}) == "note"
    assert carry.attach(None, {}) is None


def test_attach_to_an_object_merges_keys_and_the_object_wins():
    assert carry.attach({"value": 1, "k": "v"}, {"name": "accuracy", "value": 0.9}) == {
        "name": "accuracy",
        "value": 1,
        "k": "v",
    }


def test_detach_splits_the_trailer_off():
    assert carry.detach('looks right\n[feedback-proxy] {"value": 0.9, "label": "good"}') == (
        "looks right",
        {"value": 0.9, "label": "good"},
    )


def test_detach_of_only_a_trailer_leaves_no_text():
    assert carry.detach('[feedback-proxy] {"value": 8}') == (None, {"value": 8})


def test_detach_leaves_plain_text_and_non_text_alone():
    assert carry.detach("just a note") == ("just a note", {})
    assert carry.detach(None) == (None, {})
    assert carry.detach(5) == (5, {})


def test_detach_leaves_a_broken_trailer_in_the_text():
    assert carry.detach("x\n[feedback-proxy] {not json") == ("x\n[feedback-proxy] {not json", {})
    assert carry.detach("x\n[feedback-proxy] [1, 2]") == ("x\n[feedback-proxy] [1, 2]", {})


def test_round_trip_keeps_text_and_fields():
    fields = {
        "value": -3.5,
        "scale": [1, 5],
        "label": "gööd",
        "rubric": {"a": "pass"},
        "metadata": {"k": [1, {"n": None}]},
    }
    for text in ("multi\nline\nnote", "", None, "mentions [feedback-proxy] inline"):
        back_text, back_fields = carry.detach(carry.attach(text, fields))
        assert back_fields == fields
        assert back_text == (text or None)
