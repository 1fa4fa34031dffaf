"""YAML loading that remembers where every key came from.

`load(text, file)` returns the plain data plus a `where(loc)` function that
maps a pydantic error location (("endpoints", "evaluate", "decode")) to
"file:line:column", so a config or mapping error names the exact spot, the way
`otelcol validate` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ConfigError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str, file: str) -> tuple[Any, Callable[[tuple], str]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()  # parsed once: the node keeps the marks,
        data = loader.construct_document(node) if node is not None else None  # the data comes from it
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file, line=line) from None
    finally:
        loader.dispose()
    if node is None:
        return {}, lambda loc, key=False: file
    marks: dict[tuple, Any] = {}
    _collect(node, (), marks)

    def where(loc: tuple, key: bool = False) -> str:
        """file:line:col of the value at `loc` (of its key, with key=True)."""
        if key and ("key", *loc) in marks:
            mark = marks[("key", *loc)]
            return f"{file}:{mark.line + 1}:{mark.column + 1}"
        for n in range(len(loc), -1, -1):
            mark = marks.get(tuple(loc[:n]))
            if mark is not None:
                return f"{file}:{mark.line + 1}:{mark.column + 1}"
        return file

    return data, where


def _collect(node: yaml.Node, loc: tuple, marks: dict) -> None:
    marks[loc] = node.start_mark
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                marks[("key", *loc, key.value)] = key.start_mark
                _collect(value, (*loc, key.value), marks)
            if key.tag == "tag:yaml.org,2002:merge":
                _collect(value, loc, marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect(item, (*loc, i), marks)


def raise_located(exc: ValidationError, where: Callable[[tuple], str], file: str) -> None:
    """Turn a pydantic error into a ConfigError naming file:line:col and the key path."""
    first = exc.errors()[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = "::".join(str(p) for p in loc)
    spot = where(tuple(str(p) if not isinstance(p, int) else p for p in loc), key=first["type"] == "extra_forbidden")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    raise ConfigError(f"{spot}: {key}: {first['msg']}{more}", file="", key="") from None


def load_model(path, model):
    """A YAML file validated as `model`; top-level keys starting with "." only hold YAML
    anchors and are dropped; an error names file:line:col and the key path."""
    data, where = load(path.read_text(), str(path))
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if not str(k).startswith(".")}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise_located(exc, where, str(path))
