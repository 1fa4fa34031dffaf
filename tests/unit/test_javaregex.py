"""Java's regexes written out for Python and ECMA (proxy/mapping/javaregex.py): each predefined
class, `.`, `$` and the anchors mean what java.util.regex makes of them, and what is not
handled is refused at load rather than guessed. The expectations are Java's (the JDK's
Pattern documentation: "Predefined character classes", "Line terminators")."""

from __future__ import annotations

import re

import pytest

from proxy.mapping.javaregex import to_ecma, to_python

JAVA_SPACE = " \t\n\x0b\f\r"
NOT_JAVA_SPACE = "\x85\u2003\u00a0\u2028\u2029\x1c\x1f\u3000\ufeff"  # Unicode's (or Python's) whitespace, not Java's


def finds(java: str, text: str) -> bool:
    return re.search(to_python(java), text) is not None


@pytest.mark.parametrize("ch", JAVA_SPACE)
def test_s_is_javas_six_whitespace_characters(ch):
    assert finds(r"^\s$", ch) and not finds(r"^\S$", ch)
    assert finds(r"^[\s]$", ch) and not finds(r"^[^\s]$", ch)


@pytest.mark.parametrize("ch", NOT_JAVA_SPACE + "a_0")
def test_anything_else_is_S(ch):
    assert finds(r"^\S$", ch) and not finds(r"^\s$", ch)
    assert not finds(r"^[\s]$", ch) and finds(r"^[^\s]$", ch)


@pytest.mark.parametrize("ch, digit", [("0", True), ("9", True), ("\u0663", False), ("\uff11", False), ("a", False)])
def test_d_is_ascii_digits(ch, digit):  # Arabic-Indic three and fullwidth one are Python digits
    assert finds(r"^\d$", ch) is digit and finds(r"^\D$", ch) is not digit and finds(r"^[\d]$", ch) is digit


@pytest.mark.parametrize(
    "ch, word",
    [("a", True), ("Z", True), ("_", True), ("7", True), ("é", False), ("ß", False), ("\u0663", False), ("-", False)],
)
def test_w_is_ascii_letters_digits_and_underscore(ch, word):
    assert finds(r"^\w$", ch) is word and finds(r"^\W$", ch) is not word and finds(r"^[\w]$", ch) is word


@pytest.mark.parametrize(
    "ch, horizontal, vertical",
    [
        (" ", True, False),
        ("\t", True, False),
        ("\xa0", True, False),
        ("\u2003", True, False),
        ("\u3000", True, False),
        ("\n", False, True),
        ("\x0b", False, True),
        ("\x85", False, True),
        ("\u2029", False, True),
        ("a", False, False),
    ],
)
def test_h_and_v_are_javas_horizontal_and_vertical_whitespace(ch, horizontal, vertical):
    assert finds(r"^\h$", ch) is horizontal and finds(r"^\H$", ch) is not horizontal
    assert finds(r"^\v$", ch) is vertical and finds(r"^\V$", ch) is not vertical  # Python's \v is \x0B alone


@pytest.mark.parametrize("ch", "\n\r\x85\u2028\u2029")
def test_dot_stops_at_every_java_line_terminator_unless_dotall(ch):
    assert not finds(r"^a.b$", f"a{ch}b")
    assert finds(r"(?s)^a.b$", f"a{ch}b")
    assert finds(r"^a.b$", "a\x0bb")  # a vertical tab is no line terminator


@pytest.mark.parametrize(
    "text, found",
    [
        ("ab", True),
        ("ab\n", True),
        ("ab\r\n", True),
        ("ab\r", True),
        ("ab\x85", True),
        ("ab\u2028", True),
        ("ab\n\n", False),
        ("ab\nc", False),
        ("ab\x0b", False),
    ],
)
def test_dollar_is_the_end_or_before_a_final_line_terminator(text, found):
    assert finds(r"ab$", text) is found
    assert finds(r"ab\Z", text) is found
    assert finds(r"ab\z", text) is (text == "ab")


def test_dollar_is_not_between_cr_and_lf():
    assert not finds(r"a\r$", "a\r\n") and finds(r"a\r\n$", "a\r\n")


def test_escapes_quotes_and_named_groups():
    assert finds(r"^\t\e\x41\u0042\x{43}$", "\t\x1bABC")
    assert finds(r"^\Qa.b*\E$", "a.b*") and not finds(r"^\Qa.b*\E$", "axbb")
    assert re.search(to_python(r"(?<year>\d{4})-\k<year>"), "2024-2024").group("year") == "2024"
    assert finds(r"^[a-c\-\]x]+$", "a-]x") and finds(r"^(?:ab)+(?=c)(?!d)", "ababc")


@pytest.mark.parametrize(
    "pattern",
    [
        r"\p{L}",
        r"[a-z&&[^e]]",
        r"[a[b]]",
        r"(?i)a",
        r"a(?s)b",
        r"(?>a)",
        r"\bword",
        r"[\S]",
        r"\0101",
        r"\cA",
        r"\G",
        r"\R",
        "a\\",
    ],
)
def test_what_is_not_handled_is_refused(pattern):
    with pytest.raises(ValueError, match="is not supported"):
        to_python(pattern)


OPIK_NOT_BLANK = r"(?s)^\s*(\S.*\S|\S)\s*$"  # Opik's project_name (and other names) in its published spec


@pytest.mark.parametrize(
    "name, java",
    [
        ("project", True),
        (" project ", True),
        ("\x85", True),
        ("\u2003", True),
        ("\u00a0", True),
        ("a\u2003b", True),
        (" \u2003 ", True),
        ("\x85\n", True),
        ("a\x85", True),
        ("\x1c", True),
        ("line\nbreak", True),
        ("\x0b", False),
        (" \t\n\x0b\f\r", False),
        ("", False),
        ("\r\n", False),
    ],
)
def test_opiks_not_blank_pattern_holds_where_java_holds(name, java):
    assert (re.fullmatch(to_python(OPIK_NOT_BLANK), name) is not None) is java
    python_reads = re.search(OPIK_NOT_BLANK, name) is not None  # Python's own reading of the text differs
    assert python_reads is (java and name.strip() != "")


def test_the_ecma_form_holds_where_javas_matches_holds():
    ecma = to_ecma(OPIK_NOT_BLANK)
    assert "(?s)" not in ecma and "\\Z" not in ecma and ecma.startswith("^(?:") and ecma.endswith(")$")
    # read back by Python, whose `$` (no MULTILINE) differs from ECMA's only before a final \n
    as_python = re.compile(ecma.replace("$", r"\Z"))
    for name in ("project", "\x85", "\u2003", " x ", "\x0b", " "):
        assert (as_python.search(name) is not None) is (re.fullmatch(to_python(OPIK_NOT_BLANK), name) is not None)
    assert re.search(to_ecma(r"v\d+"), "xv12") is None  # matches(): the whole value, not a part of it
