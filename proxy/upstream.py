"""Outbound HTTP: one small interface, four transports.

    transport = open_transport()               # "http1", the default, chosen by measurement
    resp = await transport.send("PUT", url, headers, body, timeout=10)
    await transport.close()

`Http1Transport` is the default: the lean HTTP/1.1 client of proxy/http1.py (asyncio
protocols, httptools' parser, a keep-alive pool), which spends about a third of aiohttp's
CPU per request (bench/RESULTS.md, "The outbound client"); every delivery to a primary and
every mirror delivery pays it. `open_transport("aiohttp")` keeps `AiohttpTransport` (with a
trivial Starlette forwarder at 32-64 concurrent requests it served 8.5-9.3k req/s where
httpx's default transport served 0.65-0.67k), `open_transport("httpx")` `HttpxTransport`
for respx-based tests, and `MockTransport(handler)` is the in-process fake (as
httpx.MockTransport). A connection failure or timeout raises UpstreamError with no status
(unsent=True when nothing can have reached the upstream).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from .errors import UpstreamError
from .http1 import Http1Client

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""


class Transport(Protocol):
    async def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Response: ...
    async def close(self) -> None: ...


class Http1Transport(Http1Client):
    """The default: the lean HTTP/1.1 client of proxy/http1.py, answering Responses."""

    response = Response


class AiohttpTransport:
    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._session = None
        self._timeouts: dict[float, object] = {}  # one ClientTimeout per configured timeout, not one per request

    def _open(self):
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=30, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",)
        )
        return self._session

    async def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Response:
        import aiohttp

        session = self._session or self._open()
        limit = self._timeouts.get(timeout)
        if limit is None:
            limit = self._timeouts[timeout] = aiohttp.ClientTimeout(total=timeout)
        try:
            async with session.request(
                method, url, headers=headers, data=body, timeout=limit, allow_redirects=False
            ) as r:
                data = await r.read()
                return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, data)
        except TimeoutError:
            raise UpstreamError(f"no answer within {timeout:g} s from {_origin(url)}") from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(
                f"cannot reach {_origin(url)}: {type(exc).__name__}: {exc}",
                unsent=isinstance(exc, aiohttp.ClientConnectorError),
            ) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxTransport:
    def __init__(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(follow_redirects=False)

    async def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Response:
        import httpx

        try:
            r = await self._client.request(method, url, headers=headers, content=body, timeout=timeout)
        except httpx.TimeoutException:
            raise UpstreamError(f"no answer within {timeout:g} s from {_origin(url)}") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"cannot reach {_origin(url)}: {type(exc).__name__}: {exc}", unsent=isinstance(exc, httpx.ConnectError)
            ) from None
        return Response(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    async def close(self) -> None:
        await self._client.aclose()


Handler = Callable[[str, str, dict, bytes | None], "Response | Awaitable[Response]"]


class MockTransport:
    """In-process fake: `handler(method, url, headers, body)` answers every request."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Response:
        out = self.handler(method, url, headers, body)
        return await out if inspect.isawaitable(out) else out

    async def close(self) -> None:
        pass


def open_transport(kind: str = "http1") -> Transport:
    if kind == "http1":
        return Http1Transport()
    if kind == "aiohttp":
        return AiohttpTransport()
    if kind == "httpx":
        return HttpxTransport()
    raise ValueError(f"unknown transport {kind!r}; use http1, aiohttp or httpx")


def _origin(url: str) -> str:
    return "/".join(url.split("/")[:3])
