"""Reading a request body safely: bounded size, bounded gzip inflation, JSON."""

from __future__ import annotations

import zlib
from typing import Any, AsyncIterator

from . import jsonio
from .errors import BadRequest, PayloadTooLarge


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


def parse_json(data: bytes) -> Any:
    if not data.strip():
        return None
    try:
        return jsonio.loads(data)
    except jsonio.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
