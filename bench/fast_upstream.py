"""The benchmarks' fake upstream: raw asyncio (uvloop), HTTP/1.1 keep-alive, canned answers, no
framework. It must be far faster than anything it serves (>= 10x the naive forwarder), or the
ratios it is part of measure the fake: the ASGI fake it replaced did ~11k req/s and held the
naive forwarder near its own speed.

    Tracia  POST .../evaluations      -> 200 EvaluateResult (a fresh id each)
    Scale   POST /v5/span-assessments -> 200 SpanAssessment (a fresh id each)
    Opik    anything else             -> 204

`python bench/fast_upstream.py PORT`
"""

from __future__ import annotations

import asyncio
import itertools
import sys

_seq = itertools.count(1)
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
_TRACIA = (
    b'{"id":"eval_bench%08d","evaluatorKey":"quality","evaluatorName":"Quality","value":1,"source":"api",'
    b'"note":null,"createdAt":"2026-01-01T00:00:00.000Z"}'
)
_SCALE = (
    b'{"assessment_id":"bench-%08d","assessment_type":"metadata","trace_id":"t","created_by":"bench",'
    b'"object":"span.assessment","created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z"}'
)


def answer(method: bytes, path: bytes) -> bytes:
    if method == b"POST" and path.endswith(b"/evaluations"):
        body = _TRACIA % next(_seq)
    elif method == b"POST" and path == b"/v5/span-assessments":
        body = _SCALE % next(_seq)
    else:
        return _NO_CONTENT
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


class Upstream(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return  # the body is still coming
            method, path, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(answer(method, path.split(b"?", 1)[0]))


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(Upstream, "127.0.0.1", int(sys.argv[1]), backlog=1024))
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
