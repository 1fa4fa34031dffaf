"""Python source written at load time and run: the package's one `exec`.

Three kinds of code are written: a mapping's rules (mapping/codegen.py, from their
forms in mapping/ir.py), a canonical record's copy function (model.py, from its
field names) and the dict a record is stored as (store/codec.py, from its field names).
Each is held by tests to plain code that means the same (mapping/interpret.py;
dataclasses.replace; a loop over the fields).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def define(name: str, lines: list[str], scope: dict[str, Any], where: str) -> Callable:
    """The function `name` that `lines` define, run with `scope` as its globals (filled in place)."""
    exec(compile("\n".join(lines), f"<{where}>", "exec"), scope)  # noqa: S102 - code written from rules or field names
    return scope[name]
