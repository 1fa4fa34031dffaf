"""One rule per target field, compiled once into a closure.

A rule's steps always run in this order (Kong-style, so a rule reads the same
whatever order its keys are written in):

    source (from | const | template) -> default -> fn -> required / type checks
    -> rescale -> round -> clamp -> threshold -> enum

`when` gates the whole rule: when it does not hold the field takes its
`default`, or is not set at all.
The compiled closure takes the sources dict and returns a value or MISSING;
a broken constraint raises RuleViolation with the wire location.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from .. import codecs
from ..errors import ConfigError
from . import javaregex
from .conditions import Condition, compile_condition
from .paths import MISSING, _slotted, _step, compile_getter, parse, rooted, slotted
from .template import compile_template

Closure = Callable[[dict], Any]


class Rescale(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    src: list[float] | str = Field(default="auto", alias="from")  # [a0, a1] or "auto" (the record's scale)
    to: list[float]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    src: str | list[str] | None = Field(default=None, alias="from")  # a list: the first present
    const: Any = None
    template: str | None = None
    default: Any = None
    required: bool = False
    type: str | list[str] | None = None  # string number integer boolean uuid datetime object array; a list: any of them
    min: int | float | None = None  # an int stays one: error texts quote the bound as written
    max: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    one_of: list[Any] | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False
    items: "str | Rule | None" = None  # the type every element of an array must have, or a rule each keeps
    values: "Rule | None" = None  # a rule each value of an object keeps (e.g. Opik's usage: int32 counts)
    fn: str | None = None  # "<codec>.<function>": a named pure function
    rescale: Rescale | None = None
    round: bool | int | None = None
    clamp: bool | list[float] | None = None
    threshold: float | None = None
    enum: dict[Any, Any] | None = None
    when: dict[str, Condition] | None = None
    carry: list[str] | None = None  # canonical fields appended to this one (see carry.py)
    id: str | None = None  # "trace" | "span": an id to translate into the target's id space
    note: str | None = None  # why, for loss reports
    _dialect: str = PrivateAttr(default="python")  # its vendor server's language (spec.VendorSpec.dialect)

    @field_validator("src")
    @classmethod
    def _paths(cls, v: str | list[str] | None) -> str | list[str] | None:
        for path in [v] if isinstance(v, str) else v or []:
            parse(path)
        return v

    @field_validator("type")
    @classmethod
    def _type(cls, v: str | list[str] | None) -> str | list[str] | None:
        for name in [v] if isinstance(v, str) else v or []:
            if name not in _TYPES:
                raise ValueError(f"unknown type {name!r}; expected one of {', '.join(_TYPES)}")
        return v

    @field_validator("fn")
    @classmethod
    def _fn_name(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.resolve(v)
            except ConfigError as exc:
                raise ValueError(exc.message) from None
        return v


Rule.model_rebuild()


class RuleViolation(Exception):
    def __init__(self, loc: tuple, kind: str, limit: Any = None, input: Any = None, expected: str = ""):
        super().__init__(kind)
        self.loc, self.kind, self.limit, self.input, self.expected = loc, kind, limit, input, expected


# Each type test as an expression over `v`: the closures below and the inlined
# decode/encode code (emit_rule) are built from the same text, so they agree.
_TYPE_TESTS: dict[str, tuple[str, str]] = {
    "string": ("isinstance(v, str)", "a string"),
    "number": ("isinstance(v, (int, float)) and not isinstance(v, bool) and _isfinite(v)", "a number"),
    "integer": ("(isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())", "an integer"),
    "boolean": ("isinstance(v, bool)", "a boolean"),
    "object": ("isinstance(v, dict)", "an object"),
    "array": ("isinstance(v, list)", "an array"),
    "uuid": ("isinstance(v, str) and _is_uuid(v)", "a UUID"),
    "datetime": ("isinstance(v, str) and _is_datetime(v)", "a date-time"),
    "scalar": ("isinstance(v, (str, int, float, bool))", "a string or number"),
}


_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_uuid(text: str) -> bool:
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


def _is_datetime(text: str) -> bool:
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


_NS = {"_isfinite": math.isfinite, "_is_uuid": _is_uuid, "_is_datetime": _is_datetime}
_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    name: (eval(f"lambda v: {expr}", _NS), expected) for name, (expr, expected) in _TYPE_TESTS.items()  # noqa: S307 - constant text
}


def type_test(type_: str | list[str]) -> tuple[str, str]:
    """(an expression over `v`, what it expects) for a `type`, or a list of them (any of them)."""
    if isinstance(type_, str):
        return _TYPE_TESTS[type_]
    tests, expected = zip(*(_TYPE_TESTS[t] for t in type_))
    said = ", ".join(expected[:-1]) + " or " + expected[-1] if len(expected) > 1 else expected[0]
    return " or ".join(f"({t})" for t in tests), said


def _type_of(type_: str | list[str]) -> tuple[Callable[[Any], bool], str]:
    if isinstance(type_, str):
        return _TYPES[type_]
    expr, expected = type_test(type_)
    return eval(f"lambda v: {expr}", _NS), expected  # noqa: S307 - text made of the constant tests above


def compile_rule(rule: Rule, roots: frozenset[str], fns: Callable[[str], Callable], record_root: str | None = None) -> tuple[Closure, tuple | None]:
    """Compile a rule; returns (closure, source location or None)."""
    loc: tuple | None = None
    if isinstance(rule.src, list):
        getters = [compile_getter(p, roots, record_root) for p in rule.src]
        loc, get = getters[0][0], _first_present([g for _, g in getters])
    elif rule.src is not None:
        loc, get = compile_getter(rule.src, roots, record_root)
    elif rule.template is not None:
        get = compile_template(rule.template, roots, record_root)
    else:
        const = rule.const
        get = (lambda src: const) if const is not None else (lambda src: MISSING)
    steps = [s for s in (_fn(rule, fns), _check(rule, loc), *_numeric(rule), _enum(rule)) if s]
    default = rule.default
    gate = compile_condition(rule.when, roots, record_root) if rule.when else None

    def run(src: dict) -> Any:
        if gate is not None and not gate(src):
            return MISSING if default is None else default
        value = get(src)
        if value is MISSING and default is not None:
            value = default
        for step in steps:
            value = step(value, src)
        return value

    return run, loc


def _first_present(getters: list[Closure]) -> Closure:
    def get(src: dict) -> Any:
        for g in getters:
            v = g(src)
            if v is not MISSING:
                return v
        return MISSING

    return get


def _check(rule: Rule, loc: tuple | None) -> Callable | None:
    checks = []
    if rule.type:
        test, expected = _type_of(rule.type)
        checks.append(lambda v, t=test, e=expected: None if t(v) else ("type", None, e))
    for kind, bound, bound_test in (
        ("min", rule.min, lambda v, b: not _num(v) or v >= b),
        ("max", rule.max, lambda v, b: not _num(v) or v <= b),
        ("min_length", rule.min_length,
         lambda v, b, ends=blank_of(rule): not isinstance(v, str) or len(v.strip(ends)) >= b),
        ("max_length", rule.max_length, lambda v, b: not isinstance(v, str) or len(v) <= b),
        ("min_items", rule.min_items, lambda v, b: not isinstance(v, list) or len(v) >= b),
        ("max_items", rule.max_items, lambda v, b: not isinstance(v, list) or len(v) <= b),
    ):
        if bound is not None:
            checks.append(lambda v, k=kind, b=bound, t=bound_test: None if t(v, b) else (k, b, ""))
    if rule.pattern:
        matches = pattern_test(rule)
        checks.append(lambda v: None if not isinstance(v, str) or matches(v) else ("pattern", rule.pattern, ""))
    if rule.one_of is not None:
        allowed = rule.one_of
        checks.append(lambda v: None if v in allowed else ("one_of", allowed, ""))
    if isinstance(rule.items, str):
        test, expected = _TYPES[rule.items]
        expected = f"an array of {expected.split(' ', 1)[1]}s"
        checks.append(lambda v: None if not isinstance(v, list) or all(map(test, v)) else ("type", None, expected))
    elif rule.items is not None:
        checks.append(_each_kept(rule.items, lambda v: enumerate(v) if isinstance(v, list) else ()))
    if rule.values is not None:
        checks.append(_each_kept(rule.values, lambda v: v.items() if isinstance(v, dict) else ()))
    if rule.unique:
        checks.append(lambda v: None if not isinstance(v, list) or len(set(map(repr, v))) == len(v) else ("unique", None, ""))
    required, where = rule.required, loc or ()
    if not checks and not required:
        return None

    def check(value: Any, src: dict) -> Any:
        if value is MISSING:
            if required:
                raise RuleViolation(where, "missing")
            return value
        for c in checks:
            bad = c(value)
            if bad:
                if len(bad) > 3:  # an element's: (kind, limit, expected, its key, its value)
                    raise RuleViolation((*where, bad[3]), bad[0], bad[1], bad[4], bad[2])
                raise RuleViolation(where, bad[0], bad[1], value, bad[2])
        return value

    return check


def _each_kept(rule: Rule, pairs: Callable[[Any], Any]) -> Callable:
    """A check that every element of an array (or value of an object) keeps `rule`; a broken one
    is named by its index (or key)."""
    inner = _check(rule, ()) or (lambda v, src: v)

    def each(value: Any) -> tuple | None:
        for key, element in pairs(value):
            try:
                inner(element, None)
            except RuleViolation as bad:
                return bad.kind, bad.limit, bad.expected, key, element
        return None

    return each


_JAVA_BLANK = "".join(map(chr, range(0x21)))  # what Java's String.trim() strips: U+0000..U+0020


def blank_of(rule: Rule) -> str | None:
    """What a text's `min_length` does not count at its ends, as its vendor's server sees it:
    Java's @NotBlank trims U+0000..U+0020 (not U+2003, not U+0085); Python strips Unicode's
    whitespace (None)."""
    return _JAVA_BLANK if rule._dialect == "java" else None


def pattern_test(rule: Rule) -> Callable[[str], Any]:
    """The rule's pattern as its vendor's server applies it: Java's (javaregex.py) as Bean
    Validation's @Pattern does, on the whole value; Python's, searched."""
    if rule._dialect == "java":
        return re.compile(javaregex.to_python(rule.pattern)).fullmatch
    return re.compile(rule.pattern).search


def _present(v: Any) -> Any:
    return MISSING if v is None else v


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fn(rule: Rule, fns: Callable[[str], Callable]) -> Callable | None:
    if not rule.fn:
        return None
    f = fns(rule.fn)
    return lambda v, src: _present(f(v, src))  # a function answering None: no value


def _numeric(rule: Rule) -> list[Callable]:
    steps: list[Callable] = []
    if rule.rescale:
        b0, b1 = rule.rescale.to
        fixed = rule.rescale.src if isinstance(rule.rescale.src, list) else None

        def rescale(v: Any, src: dict) -> Any:
            if not _num(v):
                return v
            a0, a1 = fixed or _record_scale(src) or (b0, b1)
            return v if a1 == a0 else b0 + (v - a0) * (b1 - b0) / (a1 - a0)

        steps.append(rescale)
    if rule.round is not None and rule.round is not False:
        digits = None if rule.round is True else int(rule.round)
        steps.append(lambda v, src: _round(v, digits) if _num(v) else v)
    if rule.clamp:
        lo, hi = rule.clamp if isinstance(rule.clamp, list) else sorted(rule.rescale.to if rule.rescale else (-math.inf, math.inf))
        steps.append(lambda v, src: min(max(v, lo), hi) if _num(v) else v)
    if rule.threshold is not None:
        t = rule.threshold
        steps.append(lambda v, src: (1 if v >= t else 0) if _num(v) else v)
    return steps


def _round(v: float, digits: int | None) -> float | int:
    if digits is None:
        return int(math.floor(v + 0.5))
    return round(v, digits)


def _record_scale(src: dict) -> tuple | None:
    rec = src.get("rec")
    return getattr(rec, "scale", None) if rec is not None else None


def _enum(rule: Rule) -> Callable | None:
    if rule.enum is None:
        return None
    table = {_key(k): v for k, v in rule.enum.items()}
    fallback = table.get("*", MISSING)

    def enum(v: Any, src: dict) -> Any:
        if v is MISSING:
            return v
        hit = table.get(_key(v), MISSING)
        if hit is not MISSING:
            return hit
        return v if fallback is MISSING else fallback

    return enum


def _key(k: Any) -> Any:
    """Enum keys compare as text, so YAML's `1:` matches a value 1, 1.0 or "1"."""
    if isinstance(k, bool):
        return str(k).lower()
    if isinstance(k, float) and k.is_integer():
        k = int(k)
    return str(k)


# --- inlined rules -------------------------------------------------------------
# A decode of a 1,000-score batch runs ~12 rules per score; as one closure per
# rule and per step that is ~40 us a score. `emit_rule` writes the same rule as
# lines of Python that the engine joins into one function per record (see
# engine.InlineFields): no call per rule, dict look-ups inlined. Inlined code
# only has to be right for valid input: on anything a rule would refuse it gives
# up (`raise Bail`), and the engine runs the closures, which name the fault.


class Bail(Exception):
    """Inlined code met something the closures must judge (and word)."""


class Names:
    """Objects that generated code refers to, each under a fresh name."""

    def __init__(self, **fixed: Any) -> None:
        self.ns: dict[str, Any] = {"MISSING": MISSING, "Bail": Bail, "_step": _step, "_isfinite": math.isfinite, "_is_uuid": _is_uuid,
                                   "_is_datetime": _is_datetime,
                                   "_uuid_form": _CANONICAL_UUID.fullmatch, "_tuple_new": tuple.__new__,
                                   "_slotted": _slotted, "_is_slotted": slotted, **fixed}

    def add(self, obj: Any, hint: str = "k") -> str:
        name = f"_{hint}{len(self.ns)}"
        self.ns[name] = obj
        return name


def emit_get(path: str, roots: frozenset[str], record_root: str | None, ind: str) -> list[str]:
    """`v = <path>` with compile_getter's meaning: MISSING when any step is absent or null."""
    steps = rooted(path, roots, record_root)
    root, rest = steps[0], steps[1:]
    if not rest:
        return [f"{ind}v = src.get({root!r}, MISSING)", f"{ind}if v is None: v = MISSING"]
    key, rest = rest[0], rest[1:]
    if isinstance(key, int):
        lines = [f"{ind}v = _step(src.get({root!r}), {key!r})"]
    else:  # the roots are read once, at the top of the generated function (see hoist_roots)
        lines = [f"{ind}v = _r_{root}.get({key!r}) if _d_{root} else getattr(_r_{root}, {key!r}, None) if _o_{root} else _step(_r_{root}, {key!r})"]
    for key in rest:  # _step(None | MISSING, k) is MISSING, so a gap anywhere carries through
        if isinstance(key, int):
            lines.append(f"{ind}v = _step(v, {key!r})")
        else:
            lines.append(f"{ind}v = v.get({key!r}) if v.__class__ is dict else _step(v, {key!r})")
    lines.append(f"{ind}if v is None: v = MISSING")
    return lines


def hoist_roots(roots: frozenset[str], code: list[str], ind: str) -> list[str]:
    """The lines that read each root `code` uses once, for emit_get: `_r_<root>`, and is it
    a dict (`_d_<root>`) or a record read by attribute (`_o_<root>`, as paths._step decides)."""
    text = "\n".join(code)
    return [line for r in sorted(roots) if f"_r_{r}" in text for line in (
        f"{ind}_r_{r} = src.get({r!r})", f"{ind}_d_{r} = _r_{r}.__class__ is dict",
        f"{ind}_o_{r} = not _d_{r} and (_slotted.get(_r_{r}.__class__) or (_r_{r}.__class__ not in _slotted and _is_slotted(_r_{r}.__class__)))")]


_GUARDS = {"num": "isinstance(v, (int, float)) and not isinstance(v, bool)", "str": "isinstance(v, str)", "list": "isinstance(v, list)"}
_IMPLIED = {"string": "str", "uuid": "str", "number": "num", "integer": "num", "array": "list"}  # a type that passed implies the guard


def _emit_checks(rule: Rule, names: Names, ind: str) -> list[str]:
    """_check's constraints, in its order, each raising Bail where the closure raises."""
    inner = ind if rule.required else ind + " "
    lines = _emit_tests(rule, names, inner)
    if lines and rule.type == "number" and _finite(rule.min) and _finite(rule.max):  # a float within finite bounds is finite
        fast = f"v.__class__ is float and {names.add(rule.min, 'b')} <= v <= {names.add(rule.max, 'b')}"
        lines = [f"{inner}if not ({fast}):", *_emit_tests(rule, names, inner + " ")]
    if rule.required:
        return [f"{ind}if v is MISSING: raise Bail", *lines]
    return [f"{ind}if v is not MISSING:", *lines] if lines else []


def _emit_tests(rule: Rule, names: Names, inner: str) -> list[str]:
    known = _IMPLIED.get(rule.type) if isinstance(rule.type, str) else None
    lines: list[str] = []
    if rule.type == "uuid":  # _is_uuid with its common case inlined
        lines.append(f"{inner}if not (isinstance(v, str) and len(v) == 36 and (_uuid_form(v) is not None or _is_uuid(v))): raise Bail")
    elif rule.type:
        lines.append(f"{inner}if not ({type_test(rule.type)[0]}): raise Bail")
    bad: list[str] = []
    for kind, bound, guard, test in (
        ("min", rule.min, "num", "not v >= {b}"),
        ("max", rule.max, "num", "not v <= {b}"),
        ("min_length", rule.min_length, "str", f"not len(v.strip({names.add(blank_of(rule), 'blank')})) >= {{b}}"),
        ("max_length", rule.max_length, "str", "not len(v) <= {b}"),
        ("min_items", rule.min_items, "list", "not len(v) >= {b}"),
        ("max_items", rule.max_items, "list", "not len(v) <= {b}"),
    ):
        if bound is not None:
            text = test.format(b=names.add(bound, "b"))
            bad.append(text if guard == known else f"{_GUARDS[guard]} and {text}")
    if bad:
        lines.append(f"{inner}if {' or '.join(f'({b})' for b in bad)}: raise Bail")
    if rule.pattern:  # one regex search per distinct text: a batch repeats its project names
        rx, seen = names.add(pattern_test(rule), "rx"), names.add({}, "seen")
        body = [f"ok = {seen}.get(v)", "if ok is None:", f" ok = {rx}(v) is not None", f" if len({seen}) < 4096: {seen}[v] = ok",
                "if not ok: raise Bail"]
        if known == "str":
            lines += [inner + b for b in body]
        else:
            lines += [f"{inner}if isinstance(v, str):", *[inner + " " + b for b in body]]
    if rule.one_of is not None:
        lines.append(f"{inner}if v not in {names.add(rule.one_of, 'one')}: raise Bail")
    if isinstance(rule.items, str):
        lines.append(f"{inner}if isinstance(v, list) and not all(map({names.add(_TYPES[rule.items][0], 'it')}, v)): raise Bail")
    elif rule.items is not None:
        each = names.add(_each_kept(rule.items, enumerate), "each")
        lines.append(f"{inner}if isinstance(v, list) and {each}(v): raise Bail")
    if rule.values is not None:
        each = names.add(_each_kept(rule.values, dict.items), "each")
        lines.append(f"{inner}if isinstance(v, dict) and {each}(v): raise Bail")
    if rule.unique:
        lines.append(f"{inner}if isinstance(v, list) and len(set(map(repr, v))) != len(v): raise Bail")
    return lines


def _finite(bound: Any) -> bool:
    return isinstance(bound, (int, float)) and not isinstance(bound, bool) and math.isfinite(bound)


def emit_rule(rule: Rule, roots: frozenset[str], fns: Callable[[str], Callable], names: Names, ind: str,
              record_root: str | None = None) -> list[str]:
    """Lines of Python that leave the rule's value in `v` (as compile_rule's closure returns it),
    or raise Bail where the closure would raise RuleViolation."""
    body: list[str] = []
    if isinstance(rule.src, list):
        depth = ind
        for i, path in enumerate(rule.src):
            if i:
                body.append(f"{depth}if v is MISSING:")
                depth += " "
            body += emit_get(path, roots, record_root, depth)
    elif rule.src is not None:
        body += emit_get(rule.src, roots, record_root, ind)
    elif rule.template is not None:
        body.append(f"{ind}v = {names.add(compile_template(rule.template, roots, record_root), 'tpl')}(src)")
    elif rule.const is not None:
        body.append(f"{ind}v = {names.add(rule.const, 'const')}")
    else:
        body.append(f"{ind}v = MISSING")
    default = names.add(rule.default, "default") if rule.default is not None else None
    if default:
        body.append(f"{ind}if v is MISSING: v = {default}")
    fn = _fn(rule, fns)
    if fn:
        body.append(f"{ind}v = {names.add(fn, 'fn')}(v, src)")
    body += _emit_checks(rule, names, ind)
    for step in (*_numeric(rule), _enum(rule)):
        if step:
            body.append(f"{ind}v = {names.add(step, 'step')}(v, src)")
    if not rule.when:
        return body
    gate = names.add(compile_condition(rule.when, roots, record_root), "when")
    inner = ind + " "
    return [f"{ind}if not {gate}(src):", f"{inner}v = {default or 'MISSING'}", f"{ind}else:", *[inner + line[len(ind):] for line in body]]
