"""Reading a request body safely: bounded size, bounded gzip inflation, JSON with
bounded depth, array lengths and string lengths (`limits:` in the config)."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

from . import jsonio
from .errors import BadRequest, PayloadTooLarge, ValidationFailed, Violation, dotted


async def read_bounded(chunks: AsyncIterator[bytes], limit: int, declared: str | None) -> bytes:
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {int(declared)} bytes is over the limit of {limit}")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
    return bytes(body)


def inflate(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding gzip/deflate, stopping as soon as the output passes `limit`."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BadRequest(f"unsupported Content-Encoding {encoding!r}; use gzip or deflate")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise BadRequest(f"body is not valid {encoding}: {exc}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise PayloadTooLarge(f"inflated request body is over the limit of {limit} bytes")
    return out


def parse_json(data: bytes, limits=None) -> Any:
    """Parse, then hold the value to `limits` (max_depth, max_items, max_string_length)."""
    if not data.strip():
        return None
    try:
        value = jsonio.loads(data)
    except jsonio.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if limits is not None:
        check_shape(value, limits.max_depth, limits.max_items, limits.max_string_length)
    return value


def check_shape(value: Any, max_depth: int, max_items: int, max_string: int) -> None:
    """Too many items is a validation failure (the vendor's own answer to an over-long
    batch); too deep is 400, too long a string 413. A quick pass that keeps no locations
    (a 1,000-score batch is ~10,000 values); only a body it finds wrong is walked again,
    to say where."""
    if not _within(value, max_depth, max_items, max_string):
        _refuse(value, max_depth, max_items, max_string)


def _within(value: Any, max_depth: int, max_items: int, max_string: int) -> bool:
    kind = type(value)
    if kind is str:
        return len(value) <= max_string
    if kind is not list and kind is not dict:
        return True
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return False
        if type(node) is list:
            if len(node) > max_items:
                return False
            items = node
        else:
            for key in node:
                if len(key) > max_string:
                    return False
            items = node.values()
        for item in items:
            kind = type(item)
            if kind is str:
                if len(item) > max_string:
                    return False
            elif kind is list or kind is dict:
                stack.append((item, depth + 1))
    return True


def _refuse(value: Any, max_depth: int, max_items: int, max_string: int) -> None:
    """The same checks, walked with each value's location, raising at the first that fails."""
    stack: list[tuple[Any, tuple]] = [(value, ("body",))]
    while stack:
        node, loc = stack.pop()
        kind = type(node)
        if kind is str:
            if len(node) > max_string:
                raise PayloadTooLarge(
                    f"a string of {len(node)} characters at {_where(loc)} is over the limit of {max_string}"
                )
            continue
        if kind is not list and kind is not dict:
            continue
        if len(loc) > max_depth:
            raise BadRequest(f"body is nested deeper than {max_depth} levels at {_where(loc[: max_depth + 1])}")
        if kind is list:
            if len(node) > max_items:
                raise ValidationFailed([Violation(loc, "max_items", max_items, f"[{len(node)} items]", "an array")])
            stack.extend((item, (*loc, i)) for i, item in enumerate(node))
        else:
            for key, item in node.items():
                if len(key) > max_string:
                    raise PayloadTooLarge(
                        f"a key of {len(key)} characters at {_where(loc)} is over the limit of {max_string}"
                    )
                stack.append((item, (*loc, key)))


def _where(loc: tuple) -> str:
    shown = tuple(p if isinstance(p, int) or len(p) <= 40 else p[:40] + "..." for p in loc)
    return dotted(shown) or "the top"
