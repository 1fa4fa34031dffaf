"""`when:` conditions on a field's presence or value, compiled to predicates.

    when: {body.category_name: {exists: true}, rec.entity: {in: [trace, span]}}

Several fields are AND-ed; each field's tests (exists, eq, ne, in) are AND-ed too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict

from . import interpret, ir


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


def compile_condition(when: dict[str, Condition], roots: frozenset[str], record_root: str | None) -> Callable:
    return partial(interpret.holds, ir.build_when(when, roots, record_root))
