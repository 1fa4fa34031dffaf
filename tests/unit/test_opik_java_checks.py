"""Opik validates with Java: its spec's patterns are Java regexes applied to the whole value
(@Pattern), its "not blank" is Java's String.trim() (@NotBlank). The proxy refuses exactly
what Opik's server refuses, by the same reading (proxy/vendors/opik/mapping.yaml `dialect: java`)."""

from __future__ import annotations

import pytest

from proxy.errors import ValidationFailed, Violation

from .support import MAPPINGS, decode

TRACE = "01a20c41-cda1-7a06-b0a1-c98960495513"
SCORES = "/v1/private/traces/feedback-scores"


def score(**over) -> dict:
    return {"id": TRACE, "name": "accuracy", "value": 0.5, "source": "sdk", **over}


def refusals(body: dict) -> list[Violation]:
    with pytest.raises(ValidationFailed) as info:
        decode("opik", "PUT", SCORES, body)
    return info.value.violations


@pytest.mark.parametrize("name", ["\x85", "\u2003", "\u00a0", "a\u2003", "\u2003a\u2003", " \x85 ", "\x1c", "p\x85\n"])
def test_a_project_name_java_finds_not_blank_is_accepted(name):
    [rec] = decode("opik", "PUT", SCORES, {"scores": [score(project_name=name)]})
    assert rec.project == name


@pytest.mark.parametrize("name", ["\x0b", " ", "\t\n\x0b\f\r ", ""])
def test_a_project_name_of_java_whitespace_only_is_refused(name):
    pattern = MAPPINGS["opik"].endpoints["traces_scores"].spec.decode.fields["project"].pattern
    assert refusals({"scores": [score(project_name=name)]}) == [
        Violation(("body", "scores", 0, "project_name"), "pattern", pattern, name)
    ]


def test_the_closures_read_patterns_as_java_too():
    """A request the generated code gives up on (one bad item) is judged by the closures: the
    good item's name is not refused with it."""
    bad = refusals({"scores": [score(project_name="\u2003"), score(value="high", project_name="\x0b")]})
    assert [(v.loc, v.kind) for v in bad] == [
        (("body", "scores", 1, "value"), "type"),
        (("body", "scores", 1, "project_name"), "pattern"),
    ]


@pytest.mark.parametrize(
    "name, blank",
    [("\u2003", False), ("\x85", False), ("\u00a0", False), ("\x01", True), ("\x1f \x00", True), (" a ", False)],
)
def test_not_blank_is_javas_trim(name, blank):
    """@NotBlank trims U+0000..U+0020 and nothing else."""
    body = {"scores": [score(name=name)]}
    if blank:
        assert [(v.loc, v.kind) for v in refusals(body)] == [(("body", "scores", 0, "name"), "min_length")]
    else:
        assert decode("opik", "PUT", SCORES, body)[0].name == name


def test_other_vendors_keep_pythons_reading():
    assert MAPPINGS["scale"].spec.dialect == "python" and MAPPINGS["tracia"].spec.dialect == "python"
