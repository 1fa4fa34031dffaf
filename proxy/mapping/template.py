"""String templates with field references only: "{name}: {comment}".

A reference to a missing field renders as the empty string; `{{` and `}}` are
literal braces. No expressions, no format specs.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .paths import MISSING, compile_getter

_REF = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")


def compile_template(text: str, roots: frozenset[str], record_root: str | None) -> Callable[[dict], Any]:
    pieces: list[Any] = []  # literal strings and getters
    pos = 0
    for m in _REF.finditer(text):
        pieces.append(text[pos : m.start()])
        pos = m.end()
        if m.group(1) is None:
            pieces.append(m.group(0)[0])
        else:
            pieces.append(compile_getter(m.group(1).strip(), roots, record_root)[1])
    pieces.append(text[pos:])
    pieces = [p for p in pieces if p != ""]

    def render(src: dict) -> Any:
        out = []
        for p in pieces:
            if isinstance(p, str):
                out.append(p)
            else:
                v = p(src)
                out.append("" if v is MISSING else str(v))
        text = "".join(out)
        return text if text.strip() else MISSING

    return render
