"""Answers kept for a while, so a client's retry of the same request gets the same
answer instead of becoming a second record (the Scale SDK retries POST on 409,
429 and 5xx with no idempotency key). Which requests are retries, the vendor's
mapping says (`retries:`, read by the pipeline's `_retry_key`)."""

from __future__ import annotations

import base64
import hashlib

from . import jsonio
from .model import Reply


def request_key(vendor: str, method: str, path: str, query: str, body: bytes, credential: str | None) -> str:
    """Same client, same request, same key. The credential is hashed in, never stored."""
    h = hashlib.sha256()
    for part in (vendor, method, path, query, credential or ""):
        h.update(part.encode())
        h.update(b"\0")
    h.update(body)
    return h.hexdigest()


def dump(reply: Reply) -> bytes:
    body = reply.body
    if isinstance(body, (bytes, bytearray)):
        body = {"b64": base64.b64encode(bytes(body)).decode()}
    else:
        body = {"json": body}
    return jsonio.dumps({"status": reply.status, "headers": reply.headers, **body})


def load(blob: bytes) -> Reply:
    raw = jsonio.loads(blob)
    body = base64.b64decode(raw["b64"]) if "b64" in raw else raw.get("json")
    return Reply(raw["status"], body, raw.get("headers") or {})
