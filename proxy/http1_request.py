"""An HTTP/1.1 request's bytes, and the origin (scheme://host:port) they go to (proxy/http1.py)."""

from __future__ import annotations

import re
import ssl
from urllib.parse import quote, urlsplit

_BODY_EXPECTED = frozenset({"POST", "PUT", "PATCH"})
_PLAIN_TARGET = re.compile(r"[A-Za-z0-9\-._~!#$%&'()*+,/:;=?@\[\]]*")
_TARGET_SAFE = "-._~!$%&'()*+,/:;=?@[]"


class Origin:
    """scheme://host:port parsed once: where to connect and what Host says."""

    __slots__ = ("name", "host", "port", "tls", "host_line")

    def __init__(self, name: str, tls: ssl.SSLContext | None) -> None:
        parts = urlsplit(name)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {name!r}")
        self.name, self.host = name, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = tls if parts.scheme == "https" else None
        self.host_line = f"Host: {parts.netloc.rsplit('@', 1)[-1]}\r\n"


def request_bytes(method: str, target: str, origin: Origin, headers: dict[str, str], body: bytes | None) -> bytes:
    """The request's bytes: request line, Host, the given headers, Content-Length, the body."""
    if not _PLAIN_TARGET.fullmatch(target):
        target = quote(target, safe=_TARGET_SAFE)
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    host = origin.host_line
    for k, v in headers.items():
        if "\n" in v or "\r" in v or "\n" in k or "\r" in k:
            raise ValueError(f"a line break in header {k!r}")
        low = k.lower()
        if low == "host":
            host = ""
        elif low in ("content-length", "transfer-encoding"):
            continue
        lines.append(f"{k}: {v}\r\n")
    if body:
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
    elif method in _BODY_EXPECTED:
        lines.append("Content-Length: 0\r\n\r\n")
    else:
        lines.append("\r\n")
    lines[0] += host
    data = "".join(lines).encode("utf-8")
    return data + body if body else data
