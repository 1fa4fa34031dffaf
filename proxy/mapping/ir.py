"""A rule's one intermediate form: what its YAML says, resolved once.

    form = build(rule, roots, vendors.function, record_root)

Paths are resolved to their steps (rooted: `('rec', 'name')`), the function named by
`fn` to the function, a `pattern` to its vendor's regex, `clamp: true` to its bounds,
enum keys to the text they compare as. The interpreter (interpret.py) gives the form
its meaning; the code generator (codegen.py) writes the same meaning as
Python source for speed. Both read only this form, never the YAML model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import checks as check_kinds
from .paths import MISSING, rooted


class RuleSpec(Protocol):
    """What lowering reads of a rule (rules.Rule, the validated YAML); the IR does not import the spec."""

    src: Any
    template: str | None
    const: Any
    default: Any
    fn: str | None
    required: bool
    type: Any
    rescale: Any
    round: Any
    clamp: Any
    threshold: Any
    enum: dict | None
    when: dict | None
    carry: list | None
    id: str | None
    pattern: str | None
    one_of: Any
    items: Any
    values: Any
    unique: Any
    _dialect: str


class ConditionSpec(Protocol):
    """What lowering reads of a `when:` condition (conditions.Condition)."""

    exists: bool | None
    eq: Any
    ne: Any
    isin: Any


Path = tuple  # rooted steps: ('body', 'scores', 0, 'id')


@dataclass(frozen=True, eq=False)
class Test:
    """One field of a `when:` and what it must be (all AND-ed): conditions.py's tests."""

    path: Path
    exists: bool | None
    eq: Any
    ne: Any
    isin: list | None


@dataclass(frozen=True, eq=False)
class Checks:
    """A rule's constraints, tested in this order; a value that breaks one is refused."""

    required: bool
    types: tuple[str, ...]  # any of them; () for no `type`
    type_ok: Callable[[Any], bool] | None  # the test of `types`
    expected: str  # what `types` says, for the refusal
    bounds: tuple[tuple[str, Any], ...]  # (min | max | min_length | max_length | min_items | max_items, bound)
    blank: str | None  # what min_length does not count at a text's ends (None: Unicode whitespace)
    pattern: str | None
    matches: Callable[[str], Any] | None  # the pattern as its vendor applies it
    one_of: list | None
    items_type: str | None  # the type every element of an array must have
    items: Checks | None  # or the checks each element keeps
    values: Checks | None  # the checks each value of an object keeps
    unique: bool

    @property
    def empty(self) -> bool:
        return not (
            self.types
            or self.bounds
            or self.pattern
            or self.one_of is not None
            or self.items_type
            or self.items
            or self.values
            or self.unique
        )


@dataclass(frozen=True, eq=False)
class Form:
    """One rule. Its steps run in this order:
    source (paths | template | const) -> default -> fn -> checks -> rescale -> round -> clamp
    -> threshold -> enum; `when` gates the whole: when it does not hold the value is `default`."""

    loc: Path | None  # where a refusal points: the first path's steps
    paths: tuple[Path, ...]  # the first present of these
    template: tuple | None  # literal texts and paths, rendered as one text
    const: Any  # MISSING: none
    default: Any  # MISSING: none
    fn: Callable[[Any, dict], Any] | None
    checks: Checks | None  # None: nothing to check, nothing required
    rescale: tuple[tuple[float, float], tuple[float, float] | None] | None  # (to, from: None for the record's scale)
    rounding: bool
    digits: int | None  # round to this many digits (None: to an integer, halves up)
    clamp: tuple[float, float] | None
    threshold: float | None
    enum: dict | None  # enum_key(key) -> value
    enum_fallback: Any  # the value of `*`, or MISSING
    transforms: bool  # does any of rescale, round, clamp, threshold, enum run?
    when: tuple[Test, ...] | None
    carry: tuple[str, ...] | None  # encode: canonical fields appended to this one (carry.py)
    id: str | None  # encode: "trace" | "span", an id to translate into the target's id space


def build(
    rule: RuleSpec, roots: frozenset[str], fns: Callable[[str], Callable], record_root: str | None = None
) -> Form:
    src = [rule.src] if isinstance(rule.src, str) else rule.src or []
    paths = tuple(rooted(p, roots, record_root) for p in src)
    template = build_template(rule.template, roots, record_root) if not src and rule.template is not None else None
    const = rule.const if not src and template is None and rule.const is not None else MISSING
    clamp = None
    if rule.clamp:
        scale = rule.rescale.to if rule.rescale else (-math.inf, math.inf)
        lo, hi = rule.clamp if isinstance(rule.clamp, list) else sorted(scale)
        clamp = (lo, hi)
    enum = {enum_key(k): v for k, v in rule.enum.items()} if rule.enum is not None else None
    rounding = rule.round is not None and rule.round is not False
    return Form(
        loc=paths[0] if paths else None,
        paths=paths,
        template=template,
        const=const,
        default=MISSING if rule.default is None else rule.default,
        fn=fns(rule.fn) if rule.fn else None,
        checks=build_checks(rule, required=rule.required),
        rescale=(tuple(rule.rescale.to), tuple(rule.rescale.src) if isinstance(rule.rescale.src, list) else None)
        if rule.rescale
        else None,
        rounding=rounding,
        digits=None if rule.round is None or isinstance(rule.round, bool) else int(rule.round),
        clamp=clamp,
        threshold=rule.threshold,
        enum=enum,
        enum_fallback=enum.get("*", MISSING) if enum is not None else MISSING,
        transforms=bool(rule.rescale or rounding or clamp or rule.threshold is not None or enum is not None),
        when=build_when(rule.when, roots, record_root) if rule.when else None,
        carry=tuple(rule.carry) if rule.carry else None,
        id=rule.id,
    )


def build_checks(rule: RuleSpec, required: bool) -> Checks | None:
    types = (rule.type,) if isinstance(rule.type, str) else tuple(rule.type or ())
    kinds = ("min", "max", "min_length", "max_length", "min_items", "max_items")
    bounds = tuple((kind, getattr(rule, kind)) for kind in kinds if getattr(rule, kind) is not None)
    each = rule.items if rule.items is not None and not isinstance(rule.items, str) else None  # a rule each keeps
    checks = Checks(
        required=required,
        types=types,
        type_ok=check_kinds.type_test(types)[0] if types else None,
        expected=check_kinds.type_test(types)[1] if types else "",
        bounds=bounds,
        blank=check_kinds.blank_of(rule._dialect),
        pattern=rule.pattern or None,
        matches=check_kinds.pattern_test(rule.pattern, rule._dialect) if rule.pattern else None,
        one_of=rule.one_of,
        items_type=rule.items if isinstance(rule.items, str) else None,
        items=build_checks(each, each.required) if each is not None else None,
        values=build_checks(rule.values, rule.values.required) if rule.values is not None else None,
        unique=rule.unique,
    )
    return None if checks.empty and not required else checks


def build_when(when: dict[str, ConditionSpec], roots: frozenset[str], record_root: str | None) -> tuple[Test, ...]:
    return tuple(Test(rooted(path, roots, record_root), c.exists, c.eq, c.ne, c.isin) for path, c in when.items())


_REF = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")


def build_template(text: str, roots: frozenset[str], record_root: str | None) -> tuple:
    """ "{name}: {comment}" -> (path, ': ', path); `{{` and `}}` are literal braces."""
    pieces: list[Any] = []
    pos = 0
    for m in _REF.finditer(text):
        pieces.append(text[pos : m.start()])
        pos = m.end()
        pieces.append(m.group(0)[0] if m.group(1) is None else rooted(m.group(1).strip(), roots, record_root))
    pieces.append(text[pos:])
    return tuple(p for p in pieces if p != "")


def enum_key(k: Any) -> Any:
    """Enum keys compare as text, so YAML's `1:` matches a value 1, 1.0 or "1"."""
    if isinstance(k, bool):
        return str(k).lower()
    if isinstance(k, float) and k.is_integer():
        k = int(k)
    return str(k)
