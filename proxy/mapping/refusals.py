"""Decode checks that answer with a status and message of their own.

    checks:
      trace_or_span_id:
        from: [query.trace_id, query.span_id]
        required: true
        status: 400
        message: Either span_id or trace_id must be provided as a query parameter

A check with a `status` (spec.Check) reads the request as a whole (`path`, `query`,
`header`, `body`, `ctx`; not an element's `item`) and runs once the request has passed
every other rule of the decode: a request that also breaks one of those gets their 422,
as a vendor whose framework validates the parameters before its handler looks for what
is missing (FastAPI) answers. When it refuses, the answer is `status` with `message`, in
the vendor's error shape (CheckFailed), instead of a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import vendors
from ..errors import CheckFailed, ConfigError
from .rules import RuleViolation, compile_rule
from .spec import Check

REQUEST_ROOTS = frozenset({"body", "path", "query", "header", "ctx"})
Refuse = Callable[[dict], None]


def split_checks(checks: dict[str, Check]) -> tuple[dict[str, Check], Refuse | None]:
    """-> (the checks the decode runs with its fields, those with a status as one function
    of the request's sources, or None when there are none)."""
    plain = {name: c for name, c in checks.items() if c.status is None}
    declared = []
    for name, check in checks.items():
        if check.status is None:
            continue
        try:
            run, _ = compile_rule(check, REQUEST_ROOTS, vendors.function)
        except ValueError as exc:
            raise ConfigError(
                f"checks.{name}: a check with a status is about the whole request, not an element: {exc}"
            ) from None
        declared.append((run, check.status, check.message))
    if not declared:
        return plain, None

    def refuse(src: dict) -> None:
        for run, status, message in declared:
            try:
                run(src)
            except RuleViolation:
                raise CheckFailed(status, message) from None

    return plain, refuse
