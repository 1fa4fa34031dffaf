"""A lean HTTP/1.1 client: asyncio protocols, httptools' response parser, a keep-alive pool.

    client = Http1Client()                  # proxy/upstream.py's Http1Transport, open_transport()'s default
    status, headers, body = await client.send("PUT", url, headers, body, timeout=10)
    await client.close()

It does only what delivery needs, at about a third of aiohttp's CPU per request (bench/RESULTS.md,
"The outbound client"): one request at a time per connection, idle connections kept per origin
(scheme, host, port) for `keepalive` seconds, at most `limit` connections in all. The request
carries Host, Content-Length (for a body, and 0 for a POST/PUT/PATCH without one) and the given
headers as they are (no Accept-Encoding: bodies pass as they come). Response headers are
lower-cased; a repeated one keeps its last value (as the dict built from aiohttp's did).
No redirects, no retries. Every failure is an UpstreamError: refused/DNS/TLS -> "cannot reach"
with unsent=True; the connection lost or a malformed answer -> unsent=False (it may have been
processed); the whole exchange over `timeout` -> "no answer within N s".
"""

from __future__ import annotations

import asyncio
import ssl
import time

import httptools

from .errors import UpstreamError
from .http1_request import Origin, request_bytes
from .overdue import Overdue


class _Conn(asyncio.Protocol):
    """One connection: one exchange at a time, its answer parsed as it arrives."""

    def __init__(self, pool: Http1Client, origin: Origin) -> None:
        self.pool, self.origin = pool, origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future | None = None
        self.closed, self.idle_since, self.head_only = False, 0.0, False
        self._begin()

    def _begin(self) -> None:
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.status, self.headers_done = 0, False
        self.framed = False  # the answer says where its body ends (a length, chunks, or none allowed)

    def exchange(self, data: bytes, head_only: bool) -> asyncio.Future:
        self.waiter = fut = self.pool.loop.create_future()
        self.head_only = head_only
        self._begin()
        self.transport.write(data)
        return fut

    def shut(self) -> None:
        """Close now (an exchange cut short, an expired idle one, or the server said close)."""
        if not self.closed:
            self.closed = True
            self.pool._gone(self)
        if self.transport is not None:
            self.transport.abort()

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # nothing asked: an idle connection talking is broken
            self.shut()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"bad answer from {self.origin.name}: {type(exc).__name__}: {exc}")
            self.shut()

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost ends a body read until close

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.pool._gone(self)
        if self.waiter is not None and not self.waiter.done():
            if self.headers_done and not self.framed:
                self._finish(False)
            else:
                why = f"{type(exc).__name__}: {exc}" if exc else "the server closed the connection"
                self._fail(f"cannot reach {self.origin.name}: connection lost before the whole answer: {why}")

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("utf-8", "surrogateescape")

    def on_headers_complete(self) -> None:
        self.status = status = self.parser.get_status_code()
        self.headers_done = True
        h = self.headers
        self.framed = "content-length" in h or "transfer-encoding" in h or status < 200 or status in (204, 304)
        if self.head_only and status >= 200:
            self._finish(False)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.status < 200:  # 1xx: an interim answer; the real one follows
            self._begin()
        elif not self.head_only:
            self._finish(self.parser.should_keep_alive())

    def _finish(self, keep: bool) -> None:
        if not self.waiter.done():
            answer = self.pool.response(self.status, self.headers, b"".join(self.chunks))
            self.waiter.set_result((answer, keep))

    def expire(self) -> None:
        """No answer in time (Overdue): the exchange ends with TimeoutError."""
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(TimeoutError())

    def _fail(self, message: str) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(UpstreamError(message, unsent=False))


class Http1Client:
    # what send() returns, made of (status, headers, body); upstream.py's Http1Transport makes a Response
    response = staticmethod(lambda status, headers, body: (status, headers, body))

    # keepalive: under the 5 s after which uvicorn, Node and others close an idle connection, so a send
    # seldom meets one the server is closing (aiohttp, at 30 s, resent a PUT or GET once when it did)
    def __init__(self, limit: int = 256, keepalive: float = 4.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.limit, self.keepalive = limit, keepalive
        self._tls = ssl_context
        self._origins: dict[str, Origin] = {}
        self._idle: dict[str, list[_Conn]] = {}  # per origin, oldest first
        self._open = 0  # connections counted against the limit, busy or idle
        self._waiters: list[asyncio.Future] = []  # sends waiting for room under the limit
        self._sweeper: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._exchanges = Overdue(_Conn.expire)  # connections waiting for an answer, each due by a time

    async def send(self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float):
        cut = url.find("/", url.find("//") + 2) if "//" in url else -1
        name, target = (url, "/") if cut < 0 else (url[:cut], url[cut:].split("#", 1)[0])
        try:
            origin = self._origins.get(name) or self._origin(name)
            data = request_bytes(method, target, origin, headers, body)
        except (ValueError, TypeError) as exc:  # not an http(s) URL, a bad port, a line break or a non-str header
            raise UpstreamError(f"cannot send to {name}: {exc}", unsent=True) from None
        self.loop = self.loop or asyncio.get_running_loop()
        due = time.monotonic() + timeout
        conn = self._reuse(origin)
        try:
            if conn is None:  # a connection to make, or room to wait for: timed by a loop timer, seldom needed
                async with asyncio.timeout(timeout):
                    conn = await self._acquire(origin)
            self._exchanges.due[conn] = due  # the answer's timeout: a dict entry (overdue.py), not a loop timer
            if self._exchanges.idle or self._exchanges.loop is not self.loop:
                self._exchanges.start()
            resp, keep = await conn.exchange(data, method == "HEAD")
        except BaseException as exc:  # timed out, cancelled, or lost mid-exchange: that connection cannot carry another
            if conn is not None:
                conn.shut()
            if isinstance(exc, TimeoutError):
                raise UpstreamError(f"no answer within {timeout:g} s from {name}") from None
            raise
        finally:
            self._exchanges.due.pop(conn, None)
        self._release(conn, keep and not conn.closed)
        return resp

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in [c for idle in self._idle.values() for c in idle]:
            conn.shut()

    def idle_connections(self) -> int:
        return sum(len(v) for v in self._idle.values())

    def _origin(self, name: str) -> Origin:
        if self._tls is None and name.startswith("https:"):
            self._tls = ssl.create_default_context()
        origin = self._origins[name] = Origin(name, self._tls)
        return origin

    def _reuse(self, origin: Origin) -> _Conn | None:
        """The most recently used idle connection to `origin` still open, if any."""
        idle = self._idle.get(origin.name)
        while idle:
            conn = idle.pop()
            if not conn.transport.is_closing() and self.loop.time() - conn.idle_since < self.keepalive:
                return conn
            conn.shut()
        return None

    async def _acquire(self, origin: Origin) -> _Conn:
        while True:
            conn = self._reuse(origin)
            if conn is not None:
                return conn
            if self._open < self.limit or self._drop_oldest_idle():
                return await self._connect(origin)
            fut = self.loop.create_future()
            self._waiters.append(fut)
            try:
                await fut
            except BaseException:
                if fut in self._waiters:
                    self._waiters.remove(fut)
                elif not fut.cancelled():
                    self._wake()  # woken, then cancelled: pass the turn on
                raise

    async def _connect(self, origin: Origin) -> _Conn:
        self._open += 1
        try:
            _, conn = await self.loop.create_connection(
                lambda: _Conn(self, origin),
                origin.host,
                origin.port,
                ssl=origin.tls,
                server_hostname=origin.host if origin.tls else None,
            )
        except BaseException as exc:
            self._open -= 1
            self._wake()
            if isinstance(exc, OSError | ValueError):  # refused, DNS, TLS (ssl.SSLError is an OSError)
                raise UpstreamError(f"cannot reach {origin.name}: {type(exc).__name__}: {exc}", unsent=True) from None
            raise
        return conn

    def _release(self, conn: _Conn, keep: bool) -> None:
        conn.waiter = None
        if not keep:
            conn.shut()
            return
        conn.idle_since = self.loop.time()
        self._idle.setdefault(conn.origin.name, []).append(conn)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(self.keepalive, self._sweep)
        self._wake()

    def _gone(self, conn: _Conn) -> None:
        """A connection closed (by either side): it no longer counts, and is never reused."""
        self._open -= 1
        idle = self._idle.get(conn.origin.name)
        if idle and conn in idle:
            idle.remove(conn)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            fut = self._waiters.pop(0)
            if not fut.done():
                fut.set_result(None)
                return

    def _drop_oldest_idle(self) -> bool:
        oldest = min((v[0] for v in self._idle.values() if v), key=lambda c: c.idle_since, default=None)
        if oldest is not None:
            oldest.shut()
        return oldest is not None

    def _sweep(self) -> None:
        self._sweeper = None
        now = self.loop.time()
        for idle in self._idle.values():
            while idle and now - idle[0].idle_since >= self.keepalive:
                idle[0].shut()  # _gone removes it from the list
        left = [v[0].idle_since for v in self._idle.values() if v]
        if left:
            self._sweeper = self.loop.call_later(min(left) + self.keepalive - now, self._sweep)
