"""`where:` on a reply that lists: the items the answer keeps.

    respond:
      each: items
      body: {...}
      where:
        assessment_type: {from: label}          # item key: a rule over the request's own record
        trace_id: {from: trace_id, id: trace}

Each rule reads the record the request decoded to (what the client asked for), as a
`respond` rule reads a record (a bare name is a canonical field; `ctx.` the reply's
context; `id:` translates an id as the item's own was). An item is kept when, for every
rule that gives a value, the item's key (a dotted path into the item) equals it; a rule
that gives nothing filters nothing. Applied where the proxy answers a read from the
records it holds. Compiled once with the mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import vendors
from ..errors import EncodeError
from ..model import Ref
from .paths import MISSING, compile_getter
from .rules import Rule, RuleViolation, compile_rule

ASKED_ROOTS = frozenset({"rec", "ctx"})
ITEM_ROOT = frozenset({"item"})
Keep = Callable[[list, Any, dict], list]


def compile_where(where: dict[str, Rule]) -> Keep | None:
    """-> keep(items, asked, ctx): the items that have what `asked` asks for; None without rules."""
    if not where:
        return None
    tests = []
    for key, rule in where.items():
        run, _ = compile_rule(rule, ASKED_ROOTS, vendors.function, "rec")
        _, get = compile_getter(f"item.{key}", ITEM_ROOT)
        tests.append((key, run, rule.id, get))

    def keep(items: list, asked: Any, ctx: dict) -> list:
        src = {"rec": asked, "ctx": ctx}
        wanted = []
        for key, run, id_kind, get in tests:
            try:
                value = run(src)
            except RuleViolation as exc:
                raise EncodeError(f"where {key}: {exc.kind}") from None
            if value is MISSING:
                continue
            if isinstance(value, Ref):
                value = ctx["translate"](value, id_kind) if id_kind else value.value
            wanted.append((get, value))
        if not wanted:
            return items
        return [item for item in items if all(get({"item": item}) == value for get, value in wanted)]

    return keep
