"""How `serve` runs the app under uvicorn, with the connection limits set on purpose.

uvicorn's fast HTTP parser (httptools) bounds neither the size of a request's
headers nor the time a client may take to send them, and a connection that sends
nothing stays open until the client goes away. `GuardedHttpTools` adds both:

- the request line and headers together may be at most `limits.max_header_bytes`
  (beyond: `431 Request Header Fields Too Large`, connection closed);
- they must arrive within `limits.header_timeout` seconds of the connection or of
  the previous answer (beyond: the connection is closed);
- the body must then arrive within `limits.request_timeout` (the app answers 408);
- an idle kept-alive connection is closed after `limits.keep_alive_timeout`;
- at most `limits.max_connections` connections and requests at once (beyond: 503);
- a connection closed after an answer that came before the request's whole body (a 413 on
  its declared length) is closed the way nginx's lingering close does it: the rest of the
  body is read and thrown away first (for at most `limits.request_timeout` seconds and four
  times `limits.max_body_bytes`), because closing a socket with unread data makes the kernel
  reset the connection, and a client that sends its whole body before it reads (Python's
  urllib) would then never see the answer.

Without httptools, uvicorn's h11 parser is used with its own header bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

from .config import Config
from .opsconfig import log_level

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
    HttpToolsProtocol = None


def uvicorn_config(app: Any, config: Config, host: str, port: int, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(app, **uvicorn_options(config, host, port, **extra))


def uvicorn_options(config: Config, host: str, port: int, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config`."""
    lim = config.limits
    options: dict[str, Any] = dict(
        host=host,
        port=port,
        log_level=log_level(config),
        access_log=False,
        proxy_headers=False,  # nothing reads the client's address: X-Forwarded-For is not parsed per request
        log_config=None,  # uvicorn's own lines go through the proxy's handler too (proxy/logs.py)
        timeout_keep_alive=max(1, round(lim.keep_alive_timeout)),
        limit_concurrency=lim.max_connections,
        h11_max_incomplete_event_size=lim.max_header_bytes,
    )
    if HttpToolsProtocol is not None:
        options["http"] = guarded(lim.max_header_bytes, lim.header_timeout, lim.request_timeout, 4 * lim.max_body_bytes)
    else:  # pragma: no cover
        options["http"] = "h11"
    options.update(extra)
    return options


def guarded(
    max_header_bytes: int, header_timeout: float, linger_seconds: float = 30.0, linger_bytes: int = 40 << 20
) -> type:
    return type(
        "GuardedHttpTools",
        (GuardedHttpTools,),
        {
            "max_header_bytes": max_header_bytes,
            "header_timeout": header_timeout,
            "linger_seconds": linger_seconds,
            "linger_bytes": linger_bytes,
        },
    )


class _EndOfLinger(Exception):
    """Raised from the parser's callback when a lingering connection's body has all arrived."""


class LingeringTransport:
    """The connection's transport as uvicorn's request cycle sees it: `close()` while the
    request's body is still arriving lingers first (GuardedHttpTools._linger)."""

    def __init__(self, transport: asyncio.Transport, protocol: GuardedHttpTools):
        self._transport, self._protocol = transport, protocol
        # what uvicorn calls per request, found here at once: through __getattr__ each lookup first
        # failed, and Python wrote an AttributeError's message for it (~3,000 instructions)
        self.write, self.is_closing = transport.write, transport.is_closing
        self.pause_reading, self.resume_reading = transport.pause_reading, transport.resume_reading

    def close(self) -> None:
        if not self._protocol._linger():
            self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


if HttpToolsProtocol is not None:

    class GuardedHttpTools(HttpToolsProtocol):
        max_header_bytes = 64 * 1024
        header_timeout = 10.0
        linger_seconds = 30.0
        linger_bytes = 40 << 20

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._header_bytes = 0
            self._too_large = False
            self._in_headers = False  # a request's line and headers are arriving
            self._header_timer: asyncio.TimerHandle | None = None
            self._lingering: asyncio.TimerHandle | None = None
            self._discarded = 0
            self._ending = False  # the connection is lost, or the server stops: close at once
            self._raw_transport = transport
            super().connection_made(LingeringTransport(transport, self))  # type: ignore[arg-type]
            self._arm()  # a connection that never sends a request does not stay open

        def connection_lost(self, exc: Exception | None) -> None:
            self._ending = True
            self._disarm()
            if self._lingering is not None:
                self._lingering.cancel()
                self._lingering = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._lingering is None:
                super().data_received(data)
                if self._in_headers and self._header_timer is None:  # a request's headers, not all in yet
                    self._arm()
                return
            self._discarded += len(data)
            try:
                self.parser.feed_data(data)  # only to know where the body ends; its callbacks keep nothing now
            except Exception:  # noqa: BLE001 - _EndOfLinger, or a body that does not parse: either way, done
                return self._close_now()
            if self._discarded > self.linger_bytes:
                self._close_now()

        def shutdown(self) -> None:
            self._ending = True  # the server stops: no lingering keeps it waiting
            if self._lingering is not None:
                return self._close_now()
            super().shutdown()

        def _linger(self) -> bool:
            """Asked to close: when the answer went out before the request's body was all in, read
            and discard the rest of it first (bounded), then close. True when lingering."""
            cycle = self.cycle
            if self._lingering is not None or self._ending or self._raw_transport.is_closing():
                return self._lingering is not None
            if cycle is None or not cycle.response_complete or not cycle.more_body:
                return False
            if self._raw_transport.can_write_eof():
                self._raw_transport.write_eof()  # the answer is complete: the client sees it end
            self._lingering = self.loop.call_later(self.linger_seconds, self._close_now)
            return True

        def _close_now(self) -> None:
            if self._lingering is not None:
                self._lingering.cancel()
            self._raw_transport.close()

        def on_message_begin(self) -> None:
            if self._lingering is not None:
                raise _EndOfLinger()  # the next request on a connection that is closing: no
            super().on_message_begin()
            self._header_bytes = 0
            self._in_headers = True  # timed only if they are not all in this data_received (most are)

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_headers = False
            if self._header_timer is not None:
                self._disarm()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            if self._lingering is not None:
                raise _EndOfLinger()  # the whole body is in: closing now leaves nothing unread
            super().on_message_complete()

        def send_400_response(self, msg: str) -> None:
            if not self._too_large:
                return super().send_400_response(msg)
            text = f"request line and headers are over the limit of {self.max_header_bytes} bytes".encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
            )
            self.transport.close()

        def _count(self, n: int) -> None:
            self._header_bytes += n
            if self._header_bytes > self.max_header_bytes:
                self._too_large = True
                raise ValueError("headers too large")  # the parser stops; uvicorn answers through send_400_response

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()
else:  # pragma: no cover
    GuardedHttpTools = None  # type: ignore[assignment,misc]
