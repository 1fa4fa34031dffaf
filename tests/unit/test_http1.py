"""The lean HTTP/1.1 client (proxy/http1.py, open_transport()'s default) against raw local servers:
what goes on the wire, keep-alive and its limits, every way an answer ends, and every failure."""

from __future__ import annotations

import asyncio
import ssl
import subprocess

import pytest

from proxy.errors import UpstreamError
from proxy.upstream import Http1Transport, Response, open_transport

from .raw_server import Conn, RawServer, answer, keep_answering


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def event_loop_policy(request):
    """Each test on both loops: the proxy serves on uvloop, and tests usually run on asyncio's."""
    if request.param == "uvloop":
        import uvloop

        return uvloop.EventLoopPolicy()
    return asyncio.DefaultEventLoopPolicy()


async def until(predicate, within: float = 5.0, what: str = "condition"):
    for _ in range(int(within / 0.01)):
        if value := predicate():
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


@pytest.fixture
async def client():
    c = open_transport()
    yield c
    await c.close()


async def test_open_transport_default_is_http1_and_answers_a_response(client):
    assert isinstance(client, Http1Transport)
    async with RawServer(keep_answering) as srv:
        resp = await client.send("GET", srv.url + "/a?b=1#frag", {}, None, 5)
    assert resp == Response(200, {"content-length": "6"}, b"/a?b=1")


async def test_request_wire_host_length_headers_as_given_no_accept_encoding(client):
    async with RawServer(keep_answering) as srv:
        await client.send("PUT", srv.url + "/v1/x", {"Authorization": "k", "content-type": "a/b"}, b'{"a":1}', 5)
        await client.send("POST", srv.url + "/empty", {"X-Trace": "t"}, None, 5)
        await client.send("DELETE", srv.url + "/d", {"Host": "other.example"}, None, 5)
    put, post, delete = srv.conns[0].requests
    assert put.line == "PUT /v1/x HTTP/1.1"
    assert put.headers == [
        ("Host", f"127.0.0.1:{srv.port}"),
        ("Authorization", "k"),
        ("content-type", "a/b"),
        ("Content-Length", "7"),
    ]
    assert put.body == b'{"a":1}'
    assert post.headers == [("Host", f"127.0.0.1:{srv.port}"), ("X-Trace", "t"), ("Content-Length", "0")]
    assert delete.headers == [("Host", "other.example")]  # the caller's Host wins; no body, no length


async def test_a_path_with_spaces_or_non_ascii_is_percent_encoded(client):
    async with RawServer(keep_answering) as srv:
        resp = await client.send("GET", srv.url + "/a b/é%20?q=x y", {}, None, 5)
    assert resp.body == b"/a%20b/%C3%A9%20?q=x%20y"


async def test_keep_alive_one_connection_for_sequential_sends(client):
    async with RawServer(keep_answering) as srv:
        bodies = [(await client.send("GET", f"{srv.url}/{i}", {}, None, 5)).body for i in range(10)]
    assert bodies == [f"/{i}".encode() for i in range(10)]
    assert srv.accepts == 1 and len(srv.conns[0].requests) == 10


async def test_concurrent_sends_each_get_their_own_answer_within_the_limit():
    client = Http1Transport(limit=4)
    busy, most = 0, 0

    async def slow(conn: Conn):
        nonlocal busy, most
        while (req := await conn.read()) is not None:
            busy += 1
            most = max(most, busy)
            await asyncio.sleep(0.02)
            busy -= 1
            conn.write(answer(req.line.split(" ")[1].encode()))

    async with RawServer(slow) as srv:
        got = await asyncio.gather(*(client.send("GET", f"{srv.url}/{i}", {}, None, 5) for i in range(40)))
    await client.close()
    assert [r.body for r in got] == [f"/{i}".encode() for i in range(40)]
    assert srv.accepts == 4 and most == 4  # four at once, never a fifth connection


async def test_at_the_limit_an_idle_connection_to_another_origin_makes_room():
    client = Http1Transport(limit=1)
    dropped = asyncio.Event()

    async def answer_then_note_close(conn: Conn):
        await keep_answering(conn)
        dropped.set()

    async with RawServer(answer_then_note_close) as a, RawServer(keep_answering) as b:
        assert (await client.send("GET", a.url + "/a", {}, None, 5)).body == b"/a"
        assert (await client.send("GET", b.url + "/b", {}, None, 5)).body == b"/b"
        await asyncio.wait_for(dropped.wait(), 5)
    await client.close()


async def test_an_interim_1xx_answer_is_skipped_and_a_head_answer_has_no_body(client):
    async def interim_then_head(conn: Conn):
        await conn.read()
        conn.write(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"final"))
        await conn.read()
        conn.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n")  # HEAD: the length of a body not sent

    async with RawServer(interim_then_head) as srv:
        final = await client.send("POST", srv.url + "/", {}, b"{}", 5)
        head = await client.send("HEAD", srv.url + "/", {}, None, 5)
    assert (final.status, final.body) == (200, b"final")
    assert (head.status, head.headers, head.body) == (200, {"content-length": "10"}, b"")


async def test_chunked_answer_and_repeated_headers_keep_the_last_lower_cased(client):
    async def chunked(conn: Conn):
        while await conn.read() is not None:
            conn.write(
                b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )

    async with RawServer(chunked) as srv:
        first = await client.send("POST", srv.url + "/c", {}, b"x", 5)
        second = await client.send("POST", srv.url + "/c", {}, b"x", 5)
    assert (first.status, first.body, first.headers) == (
        201,
        b"hello world",
        {"transfer-encoding": "chunked", "x-a": "2"},
    )
    assert second.body == b"hello world" and srv.accepts == 1


async def test_a_body_read_until_the_server_closes(client):
    async def until_close(conn: Conn):
        await conn.read()
        conn.write(b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ")
        await conn.writer.drain()
        await asyncio.sleep(0.02)
        conn.write(b"part two")
        conn.writer.close()

    async with RawServer(until_close) as srv:
        first = await client.send("GET", srv.url + "/", {}, None, 5)
        second = await client.send("GET", srv.url + "/", {}, None, 5)
    assert first.body == second.body == b"part one, part two"
    assert srv.accepts == 2


async def test_connection_close_answer_is_not_reused(client):
    async def close_after(conn: Conn):
        await conn.read()
        conn.write(answer(b"bye", extra="Connection: close\r\n"))
        assert await conn.closed_by_client()

    async with RawServer(close_after) as srv:
        bodies = [(await client.send("GET", srv.url + "/", {}, None, 5)).body for _ in range(3)]
    assert bodies == [b"bye"] * 3 and srv.accepts == 3
    assert client.idle_connections() == 0


async def test_server_closing_an_idle_kept_alive_connection_the_next_send_opens_another(client):
    async def one_then_close(conn: Conn):
        await conn.read()
        conn.write(answer(b"one"))
        await conn.writer.drain()
        conn.writer.close()

    async with RawServer(one_then_close) as srv:
        assert (await client.send("GET", srv.url + "/", {}, None, 5)).body == b"one"
        await until(lambda: srv.accepts == 1 and client.idle_connections() == 0, what="the client seeing the close")
        assert (await client.send("GET", srv.url + "/", {}, None, 5)).body == b"one"
    assert srv.accepts == 2


async def test_idle_connections_expire_after_keepalive():
    client = Http1Transport(keepalive=0.2)
    closed = asyncio.Event()

    async def one_then_wait(conn: Conn):
        await conn.read()
        conn.write(answer())
        if await conn.closed_by_client():
            closed.set()

    async with RawServer(one_then_wait) as srv:
        await client.send("GET", srv.url + "/", {}, None, 5)
        assert client.idle_connections() == 1
        await asyncio.wait_for(closed.wait(), 5)
        assert client.idle_connections() == 0
        await client.send("GET", srv.url + "/", {}, None, 5)
    await client.close()
    assert srv.accepts == 2


async def test_no_answer_times_out_closes_that_connection_and_the_pool_stays_usable(client):
    async def first_hangs(conn: Conn):
        if conn.number == 1:
            await conn.read()
            assert await conn.closed_by_client()
        else:
            await keep_answering(conn)

    async with RawServer(first_hangs) as srv:
        with pytest.raises(UpstreamError) as err:
            await client.send("POST", srv.url + "/slow", {}, b"{}", 0.3)
        assert err.value.message == f"no answer within 0.3 s from {srv.url}"
        assert (await client.send("GET", srv.url + "/next", {}, None, 5)).body == b"/next"
        await until(lambda: srv.conns[0].reader.at_eof(), what="the timed-out connection closed")


async def test_connection_refused_is_unsent(client):
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(UpstreamError) as err:
        await client.send("POST", f"http://127.0.0.1:{port}/x", {}, b"{}", 5)
    assert err.value.unsent is True
    assert err.value.message.startswith(f"cannot reach http://127.0.0.1:{port}: ConnectionRefusedError")


async def test_unknown_host_and_bad_urls_are_unsent_errors(client):
    for url, start in (
        ("http://no-such-host.invalid/x", "cannot reach http://no-such-host.invalid: gaierror"),
        ("ftp://127.0.0.1/x", "cannot send to ftp://127.0.0.1"),
        ("http://127.0.0.1:99999/x", "cannot send to http://127.0.0.1:99999"),
    ):
        with pytest.raises(UpstreamError) as err:
            await client.send("GET", url, {}, None, 5)
        assert err.value.unsent is True and err.value.message.startswith(start), err.value.message


async def test_a_line_break_in_a_header_is_refused_before_anything_is_sent(client):
    async with RawServer(keep_answering) as srv:
        with pytest.raises(UpstreamError) as err:
            await client.send("GET", srv.url + "/", {"x-id": "a\r\nX-Injected: 1"}, None, 5)
    assert err.value.unsent is True and "line break in header 'x-id'" in err.value.message
    assert srv.accepts == 0


@pytest.mark.parametrize("how", ["closed", "half an answer"])
async def test_connection_lost_mid_exchange_may_have_been_processed(client, how):
    async def drop(conn: Conn):
        await conn.read()
        if how == "half an answer":
            conn.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
            await conn.writer.drain()
        conn.writer.close()

    async with RawServer(drop) as srv:
        with pytest.raises(UpstreamError) as err:
            await client.send("POST", srv.url + "/x", {}, b"{}", 5)
    assert err.value.unsent is False
    assert err.value.message.startswith(f"cannot reach {srv.url}: connection lost before the whole answer")


async def test_a_malformed_answer_is_an_error_that_may_have_been_processed(client):
    async def garbage(conn: Conn):
        await conn.read()
        conn.write(b"NOT HTTP AT ALL\r\n\r\n")

    async with RawServer(garbage) as srv:
        with pytest.raises(UpstreamError) as err:
            await client.send("POST", srv.url + "/x", {}, b"{}", 5)
        assert err.value.unsent is False and err.value.message.startswith(f"bad answer from {srv.url}: ")
        assert await asyncio.wait_for(srv.conns[0].closed_by_client(), 5)


async def test_a_cancelled_send_closes_its_connection(client):
    async def first_holds(conn: Conn):
        if conn.number == 1:
            await conn.read()
            assert await conn.closed_by_client()
        else:
            await keep_answering(conn)

    async with RawServer(first_holds) as srv:
        task = asyncio.create_task(client.send("GET", srv.url + "/held", {}, None, 5))
        await until(lambda: srv.conns and srv.conns[0].requests, what="the request arriving")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: srv.conns[0].reader.at_eof(), what="the cancelled connection closed")
        assert (await client.send("GET", srv.url + "/next", {}, None, 5)).body == b"/next"
    assert srv.accepts == 2


async def test_a_mebibyte_each_way(client):
    async def echo(conn: Conn):
        while (req := await conn.read()) is not None:
            conn.write(answer(req.body[::-1]))

    big = bytes(range(256)) * 4096
    async with RawServer(echo) as srv:
        resp = await client.send("PUT", srv.url + "/big", {}, big, 10)
    assert len(srv.conns[0].requests[0].body) == 1 << 20 and srv.conns[0].requests[0].body == big
    assert resp.body == big[::-1]


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_with_a_trusted_self_signed_certificate_and_an_untrusted_one(self_signed):
    cert, key = self_signed
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    client, default = Http1Transport(ssl_context=trusting), Http1Transport()
    async with RawServer(keep_answering, ssl=server_side) as srv:
        bodies = [(await client.send("POST", srv.url + f"/tls{i}", {}, b"{}", 5)).body for i in range(3)]
        with pytest.raises(UpstreamError) as err:
            await default.send("POST", srv.url + "/untrusted", {}, b"{}", 5)
    await client.close()
    await default.close()
    assert bodies == [b"/tls0", b"/tls1", b"/tls2"] and srv.conns[0].requests[0].line == "POST /tls0 HTTP/1.1"
    assert err.value.unsent is True and "CERTIFICATE_VERIFY_FAILED" in err.value.message
