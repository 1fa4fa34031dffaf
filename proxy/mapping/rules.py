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
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import codecs
from ..errors import ConfigError
from .conditions import Condition, compile_condition
from .paths import MISSING, compile_getter, parse
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
    type: str | None = None  # string number integer boolean uuid object array
    min: int | float | None = None  # an int stays one: error texts quote the bound as written
    max: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    one_of: list[Any] | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False
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

    @field_validator("src")
    @classmethod
    def _paths(cls, v: str | list[str] | None) -> str | list[str] | None:
        for path in [v] if isinstance(v, str) else v or []:
            parse(path)
        return v

    @field_validator("type")
    @classmethod
    def _type(cls, v: str | None) -> str | None:
        if v is not None and v not in _TYPES:
            raise ValueError(f"unknown type {v!r}; expected one of {', '.join(_TYPES)}")
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


class RuleViolation(Exception):
    def __init__(self, loc: tuple, kind: str, limit: Any = None, input: Any = None, expected: str = ""):
        super().__init__(kind)
        self.loc, self.kind, self.limit, self.input, self.expected = loc, kind, limit, input, expected


_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), "a number"),
    "integer": (lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()), "an integer"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "array": (lambda v: isinstance(v, list), "an array"),
    "uuid": (lambda v: isinstance(v, str) and _is_uuid(v), "a UUID"),
    "scalar": (lambda v: isinstance(v, (str, int, float, bool)), "a string or number"),
}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


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
        test, expected = _TYPES[rule.type]
        checks.append(lambda v, t=test, e=expected: None if t(v) else ("type", None, e))
    for kind, bound, bound_test in (
        ("min", rule.min, lambda v, b: not _num(v) or v >= b),
        ("max", rule.max, lambda v, b: not _num(v) or v <= b),
        ("min_length", rule.min_length, lambda v, b: not isinstance(v, str) or len(v.strip()) >= b),
        ("max_length", rule.max_length, lambda v, b: not isinstance(v, str) or len(v) <= b),
        ("min_items", rule.min_items, lambda v, b: not isinstance(v, list) or len(v) >= b),
        ("max_items", rule.max_items, lambda v, b: not isinstance(v, list) or len(v) <= b),
    ):
        if bound is not None:
            checks.append(lambda v, k=kind, b=bound, t=bound_test: None if t(v, b) else (k, b, ""))
    if rule.pattern:
        rx = re.compile(rule.pattern)
        checks.append(lambda v: None if not isinstance(v, str) or rx.search(v) else ("pattern", rule.pattern, ""))
    if rule.one_of is not None:
        allowed = rule.one_of
        checks.append(lambda v: None if v in allowed else ("one_of", allowed, ""))
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
                raise RuleViolation(where, bad[0], bad[1], value, bad[2])
        return value

    return check


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
