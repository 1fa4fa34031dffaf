"""A vendor's endpoints for one method as one regular expression: a request's path is matched
once, in C, instead of by one pattern after another in Python (bench/RESULTS.md: ~38 CPU µs
a request went to trying each vendor's patterns in turn).

    table = PathTable([(compile_path(template, prefixes), endpoint), ...])   # in the order to try
    table.match("/api/v1/spans/sp_1/evaluations")  # -> (endpoint, {"span_id": "sp_1"}, "/api") or None

The alternatives keep their order: the first that matches the whole path wins, as the loop did.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

_GROUP = re.compile(r"\(\?P<(\w+)>")


class PathTable:
    def __init__(self, routes: list[tuple[re.Pattern, Any]]):
        self._endpoints: dict[str, tuple[Any, list[tuple[str, str]], str]] = {}
        alternatives = []
        for i, (rx, endpoint) in enumerate(routes):
            tag = f"_e{i}"
            body = rx.pattern.removeprefix("^").removesuffix("$")
            params = [(f"{tag}_{name}", name) for name in rx.groupindex if name != "_prefix"]
            tagged = _GROUP.sub(rf"(?P<{tag}_\1>", body)  # each group's name made its endpoint's own
            alternatives.append(f"(?P<{tag}>{tagged})")
            self._endpoints[tag] = (endpoint, params, f"{tag}__prefix")
        self._rx = re.compile(f"^(?:{'|'.join(alternatives)})$") if alternatives else None

    def match(self, path: str) -> tuple[Any, dict[str, str], str] | None:
        """(endpoint, its path parameters unquoted, the prefix the client used) or None."""
        hit = self._rx.match(path) if self._rx is not None else None
        if hit is None:
            return None
        endpoint, params, prefix = self._endpoints[hit.lastgroup]
        return endpoint, {name: unquote(hit.group(group)) for group, name in params}, hit.group(prefix)
