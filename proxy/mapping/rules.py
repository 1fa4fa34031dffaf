"""One rule per target field: its YAML form, checked, and compiled once into a closure.

A rule's steps always run in this order (Kong-style, so a rule reads the same
whatever order its keys are written in):

    source (from | const | template) -> default -> fn -> required / type checks
    -> rescale -> round -> clamp -> threshold -> enum

`when` gates the whole rule: when it does not hold the field takes its
`default`, or is not set at all.
The compiled closure takes the sources dict and returns a value or MISSING;
a broken constraint raises RuleViolation with the wire location. The rule is
resolved once into its intermediate form (ir.py), which the interpreter
(interpret.py) runs and the code generator (codegen.py) writes as Python.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from .. import vendors
from ..errors import ConfigError
from . import interpret, ir
from .checks import TYPES as _TYPES
from .checks import RuleViolation
from .conditions import Condition
from .paths import parse

__all__ = ["Rescale", "Rule", "RuleViolation", "compile_rule"]

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
    items: str | Rule | None = None  # the type every element of an array must have, or a rule each keeps
    values: Rule | None = None  # a rule each value of an object keeps (e.g. Opik's usage: int32 counts)
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
    _dialect: str = PrivateAttr(default="python")  # its vendor server's language (vendor_spec.VendorSpec.dialect)

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
                vendors.function(v)
            except ConfigError as exc:
                raise ValueError(exc.message) from None
        return v


Rule.model_rebuild()


def compile_rule(
    rule: Rule, roots: frozenset[str], fns: Callable[[str], Callable], record_root: str | None = None
) -> tuple[Closure, tuple | None]:
    """Compile a rule; returns (closure, source location or None)."""
    form = ir.build(rule, roots, fns, record_root)
    return partial(interpret.run, form), form.loc
