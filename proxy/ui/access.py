"""Who may use /ui and its JSON API: whoever presents the config's admin key.

The key comes as `Authorization: Bearer <key>` or `X-Admin-Key: <key>` (the page keeps
it in sessionStorage and sends it on every call: no cookie, so no cross-site request
can use it). Only its SHA-256 is kept, compared with `hmac.compare_digest`. With no
admin key configured, /ui and every /ui/api path answer 404 saying how to turn them on.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

OFF = "the operator UI is off: set admin.key in the proxy's config (README, Operator UI and logs)"

# On every /ui answer: nothing from elsewhere runs in the page, nothing frames it, nothing is cached.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.strip().encode("utf-8", "surrogateescape")).digest()


class AdminGate:
    def __init__(self, admin) -> None:
        self.digest: bytes | None = None
        if admin is not None and admin.enabled:
            self.digest = _digest(admin.key) if (admin.key or "").strip() else bytes.fromhex(admin.key_sha256)

    @property
    def enabled(self) -> bool:
        return self.digest is not None

    def refusal(self, request: Request) -> Response | None:
        """None when the request carries the admin key; else the answer that refuses it."""
        if self.digest is None:
            return answer({"error": OFF}, 404)
        key = presented(request.headers)
        if key is None:
            return answer(
                {"error": "the admin key is required: send Authorization: Bearer <key> or X-Admin-Key: <key>"},
                401,
                {"www-authenticate": 'Bearer realm="feedback-proxy admin"'},
            )
        if not hmac.compare_digest(_digest(key), self.digest):
            return answer(
                {"error": "the admin key is not valid"},
                401,
                {"www-authenticate": 'Bearer realm="feedback-proxy admin"'},
            )
        return None


def presented(headers) -> str | None:
    value = (headers.get("x-admin-key") or "").strip()
    if not value:
        scheme, _, rest = (headers.get("authorization") or "").strip().partition(" ")
        value = rest.strip() if scheme.lower() == "bearer" else ""
    return value or None


def answer(data, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(data, status, {**SECURITY_HEADERS, **(headers or {})})
