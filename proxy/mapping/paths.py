"""Dotted field paths compiled into getter closures.

A path is `root.key.key[0].key`. On decode the roots are the request's parts
(`body`, `item`, `path`, `query`, `header`, `ctx`); on encode a bare name is a
field of the canonical record, and `item` / `ctx` are the fan-out element and
the delivery context. Getters return MISSING when any step is absent or null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from ..model import MISSING

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[\d+\])*")
Getter = Callable[[dict], Any]


def parse(path: str) -> tuple:
    """'body.scores[0].id' -> ('body', 'scores', 0, 'id')."""
    if not _PATH.fullmatch(path):
        raise ValueError(f"not a field path: {path!r}")
    return tuple(int(index) if index else name for name, index in _STEP.findall(path))


def rooted(path: str, roots: frozenset[str], record_root: str | None = None) -> tuple:
    """The path's steps, starting with its root (`record_root` when it names none)."""
    steps = parse(path)
    if steps[0] not in roots:
        if record_root is None:
            raise ValueError(f"unknown root {steps[0]!r} in {path!r}; expected one of {sorted(roots)}")
        steps = (record_root, *steps)
    return steps


def compile_getter(path: str, roots: frozenset[str], record_root: str | None = None) -> tuple[tuple, Getter]:
    """Compile `path` into (location, getter). `src` is a dict of root -> value.

    When the first step is not a known root and `record_root` is set, the path
    is read from that root (encode: bare names are canonical record fields).
    """
    steps = rooted(path, roots, record_root)
    return steps, partial(get, steps)


def get(steps: tuple, src: dict) -> Any:
    """The value at a path's steps (its root first), or MISSING when any step is absent or null."""
    if len(steps) == 1:
        return _present(src.get(steps[0], MISSING))
    value = src.get(steps[0])
    for key in steps[1:]:
        cls = value.__class__  # a dict's and a record's look-up first: what _step does for a named key
        if cls is dict and key.__class__ is str:
            value = value.get(key)
            if value is None:
                return MISSING
        else:
            value = _step(value, key)
            if value is MISSING:
                return MISSING
    return value


_slotted: dict[type, bool] = {}


def slotted(cls: type) -> bool:
    """Does _step read a `cls` instance by attribute (a record such as Assessment)? Asked once per class."""
    _slotted[cls] = answer = (
        hasattr(cls, "__slots__") and not issubclass(cls, dict) and cls is not type(MISSING) and cls is not type(None)
    )
    return answer


def _present(value: Any) -> Any:
    return MISSING if value is None else value


def _step(value: Any, key: Any) -> Any:
    if value is None or value is MISSING:
        return MISSING
    if isinstance(key, int):
        if isinstance(value, list) and -len(value) <= key < len(value):
            return _present(value[key])
        return MISSING
    if isinstance(value, dict):
        return _present(value.get(key))
    return _present(getattr(value, key, None)) if hasattr(value, "__slots__") else MISSING


def setter(path: str) -> Callable[[dict, Any], None]:
    """Compile a target path ('a.b.c') into a function that sets it in a dict."""
    keys = path.split(".")
    if len(keys) == 1:
        key = keys[0]

        def set_one(out: dict, value: Any) -> None:
            out[key] = value

        return set_one
    *parents, last = keys

    def set_nested(out: dict, value: Any) -> None:
        for key in parents:
            out = out.setdefault(key, {})
        out[last] = value

    return set_nested
