"""`when:` conditions on a field's presence or value, compiled to predicates.

    when: {body.category_name: {exists: true}, rec.entity: {in: [trace, span]}}

Several fields are AND-ed; each field's tests (exists, eq, ne, in) are AND-ed too.
"""

from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, ConfigDict

from .paths import MISSING, compile_getter


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exists: bool | None = None
    eq: Any = None
    ne: Any = None
    isin: list[Any] | None = None

    def __init__(self, **data: Any):
        if "in" in data:
            data["isin"] = data.pop("in")
        super().__init__(**data)


def compile_condition(when: dict[str, Condition], roots: frozenset[str], record_root: str | None) -> Callable[[dict], bool]:
    tests = []
    for path, cond in when.items():
        _, get = compile_getter(path, roots, record_root)
        tests.append(_one(get, cond))
    if len(tests) == 1:
        return tests[0]
    return lambda src: all(t(src) for t in tests)


def _one(get: Callable, c: Condition) -> Callable[[dict], bool]:
    parts: list[Callable[[Any], bool]] = []
    if c.exists is not None:
        want = c.exists
        parts.append(lambda v: (v is not MISSING) == want)
    if c.eq is not None:
        eq = c.eq
        parts.append(lambda v: v == eq)
    if c.ne is not None:
        ne = c.ne
        parts.append(lambda v: v != ne)
    if c.isin is not None:
        allowed = c.isin  # a null in the list matches an absent field
        parts.append(lambda v: (None if v is MISSING else v) in allowed)
    return lambda src: all(p(get(src)) for p in parts)
