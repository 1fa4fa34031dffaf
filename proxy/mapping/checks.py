"""What a rule's `type`, `pattern` and `min_length` test, as its vendor's server tests it.

Plain predicates: the interpreter (interpret.py) calls them, and the generated code
(codegen.py) calls the same functions where it does not spell out a cheaper equivalent.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import javaregex


class RuleViolation(Exception):
    """A value a rule refuses: where, which check (`kind`), its limit, the value, what was expected."""

    def __init__(self, loc: tuple, kind: str, limit: Any = None, input: Any = None, expected: str = ""):
        super().__init__(kind)
        self.loc, self.kind, self.limit, self.input, self.expected = loc, kind, limit, input, expected


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _integer(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
canonical_uuid = _CANONICAL_UUID.fullmatch


def is_uuid(text: str) -> bool:
    """What uuid.UUID accepts in 36 characters. The canonical 8-4-4-4-12 form is
    answered by a regex (uuid.UUID costs ~10 us, a third of decoding a score);
    anything else by uuid.UUID itself."""
    if len(text) != 36:
        return False
    if _CANONICAL_UUID.fullmatch(text):
        return True
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


_DATETIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))")


def is_datetime(text: str) -> bool:
    """An RFC 3339 date-time (JSON Schema's `format: date-time`): a real date and time, an offset."""
    m = _DATETIME.fullmatch(text)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        datetime(year, month, day, hour, minute, min(second, 59))  # :60, a leap second, is allowed
    except ValueError:
        return False
    return second <= 60 and (m.group(7) is None or (int(m.group(7)) <= 23 and int(m.group(8)) <= 59))


TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "number": (_number, "a number"),
    "integer": (_integer, "an integer"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "array": (lambda v: isinstance(v, list), "an array"),
    "uuid": (lambda v: isinstance(v, str) and is_uuid(v), "a UUID"),
    "datetime": (lambda v: isinstance(v, str) and is_datetime(v), "a date-time"),
    "scalar": (lambda v: isinstance(v, (str, int, float, bool)), "a string or number"),
}


def type_test(types: tuple[str, ...]) -> tuple[Callable[[Any], bool], str]:
    """(a predicate, what it expects) for a `type`'s names: any of them."""
    if len(types) == 1:
        return TYPES[types[0]]
    tests = [TYPES[t][0] for t in types]
    expected = [TYPES[t][1] for t in types]
    return (lambda v: any(t(v) for t in tests)), ", ".join(expected[:-1]) + " or " + expected[-1]


def is_number(v: Any) -> bool:
    """A number a bound, rescale, round, clamp or threshold applies to (any float, not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_JAVA_BLANK = "".join(map(chr, range(0x21)))  # what Java's String.trim() strips: U+0000..U+0020


def blank_of(dialect: str) -> str | None:
    """What a text's `min_length` does not count at its ends, as its vendor's server sees it:
    Java's @NotBlank trims U+0000..U+0020 (not U+2003, not U+0085); Python strips Unicode's
    whitespace (None)."""
    return _JAVA_BLANK if dialect == "java" else None


def pattern_test(pattern: str, dialect: str) -> Callable[[str], Any]:
    """The pattern as its vendor's server applies it: Java's (javaregex.py) as Bean
    Validation's @Pattern does, on the whole value; Python's, searched."""
    if dialect == "java":
        return re.compile(javaregex.to_python(pattern)).fullmatch
    return re.compile(pattern).search
