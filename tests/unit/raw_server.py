"""A raw asyncio HTTP/1.1 server for the client transport's tests: each connection is handed to
a test-written `serve(conn)` coroutine, which reads requests and writes exactly the bytes it wants."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    line: str  # "PUT /x?y=1 HTTP/1.1"
    headers: list[tuple[str, str]]  # as sent, in order
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    number: int  # 1 for the first connection accepted
    requests: list[Request] = field(default_factory=list)

    async def read(self) -> Request | None:
        """The next request, or None when the client closed the connection."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        line, *rest = head.decode().split("\r\n")
        headers = [tuple(h.split(": ", 1)) for h in rest if h]
        req = Request(line, headers, b"")
        req.body = await self.reader.readexactly(int(req.header("content-length") or 0))
        self.requests.append(req)
        return req

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    async def closed_by_client(self) -> bool:
        """Waits for the client to close this connection (EOF or reset)."""
        try:
            return await self.reader.read(1) == b""
        except ConnectionError:
            return True


def answer(body: bytes = b"ok", status: str = "200 OK", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


class RawServer:
    def __init__(self, serve: Callable[[Conn], Awaitable[None]], ssl=None) -> None:
        self.serve, self.ssl = serve, ssl
        self.conns: list[Conn] = []

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self.ssl)
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.ssl else 'http'}://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *exc) -> None:
        for c in self.conns:
            c.writer.close()
        self.server.close()

    @property
    def accepts(self) -> int:
        return len(self.conns)

    async def _accept(self, reader, writer) -> None:
        conn = Conn(reader, writer, len(self.conns) + 1)
        self.conns.append(conn)
        try:
            await self.serve(conn)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the test ended with the connection open


async def keep_answering(conn: Conn) -> None:
    """Answers each request with its own target, on one kept-alive connection."""
    while (req := await conn.read()) is not None:
        conn.write(answer(req.line.split(" ")[1].encode()))
