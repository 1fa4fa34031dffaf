"""One request to a source vendor's read API: built from a history file's `Call`, sent
with the upstream's own credentials, retried while the vendor says "later", parsed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from .. import jsonio, vendors
from ..config import Upstream
from ..delivery.retry import RETRYABLE, retry_after
from ..errors import ProxyError, UpstreamError
from ..mapping.conditions import compile_condition
from ..mapping.paths import MISSING, compile_getter
from ..mapping.rules import compile_rule
from ..upstream import Transport
from .spec import Call

ROOTS = frozenset({"ctx", "item"})
WAITS = (0.2, 0.5, 1.0, 2.0)  # between the attempts of one read: five in all


class ReadError(ProxyError):
    """The source would not give a page (after retrying what may pass): the back-fill stops
    there, and the same command resumes from the last page it committed."""


class CompiledCall:
    def __init__(self, call: Call):
        self.method, self.path = call.method, call.path
        self.params, self.query, self.headers = (_rules(r) for r in (call.params, call.query, call.headers))
        self.body = _rules(call.body) if call.body is not None else None
        self.items = compile_getter(call.items, frozenset({"answer"}))[1] if call.items else None
        self.when = compile_condition(call.when, ROOTS, None) if call.when else None

    def applies(self, item: dict) -> bool:
        return self.when is None or self.when({"item": item})

    def items_of(self, answer: Any) -> list[dict]:
        found = self.items({"answer": answer}) if self.items is not None else answer
        if isinstance(found, dict) and self.items is None:
            return [found]
        return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []

    async def fetch(self, transport: Transport, upstream: Upstream, src: dict, paging: dict | None = None) -> Any:
        path = self.path
        for name, value in _values(self.params, src).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        query = {**_values(self.query, src), **(paging or {})}
        url = upstream.base_url + path + ("?" + urlencode({k: _text(v) for k, v in query.items()}) if query else "")
        headers = {k: v for k, v in upstream.headers.items() if v != ""}
        headers.update({k: str(v) for k, v in _values(self.headers, src).items()})
        body = None
        if self.body is not None:
            body = jsonio.dumps(_values(self.body, src))
            headers["content-type"] = "application/json"
        return await read_json(transport, upstream, self.method, url, headers, body)


async def read_json(
    transport: Transport, upstream: Upstream, method: str, url: str, headers: dict, body: bytes | None
) -> Any:
    """The answer's JSON; retried on connection errors, timeouts, 408, 429 and 5xx."""
    shown = url.split("?")[0]
    for attempt, wait in enumerate((*WAITS, None)):
        try:
            resp = await transport.send(method, url, headers, body, upstream.timeout)
        except UpstreamError as exc:
            why, hint = exc.message, None
        else:
            if resp.status < 300:
                try:
                    return jsonio.loads(resp.body) if resp.body else None
                except jsonio.JSONDecodeError:
                    raise ReadError(f"{method} {shown} answered {resp.status} with a body that is not JSON") from None
            why = f"{method} {shown} answered {resp.status}: {resp.body[:300].decode(errors='replace')}"
            if resp.status not in RETRYABLE:
                raise ReadError(why)
            hint = retry_after(resp.headers.get("retry-after"))
        if wait is None:
            raise ReadError(f"gave up after {attempt + 1} attempts: {why}")
        await asyncio.sleep(min(hint, 30.0) if hint is not None else wait)
    raise AssertionError("unreachable")


def _rules(rules: dict) -> list[tuple[str, Callable]]:
    return [(name, compile_rule(rule, ROOTS, vendors.function)[0]) for name, rule in rules.items()]


def _values(rules: list[tuple[str, Callable]], src: dict) -> dict:
    out = {}
    for name, run in rules:
        v = run(src)
        if v is not MISSING and v is not None:
            out[name] = v
    return out


def _text(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)
