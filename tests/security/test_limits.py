"""No input can hurt the proxy: a gzip bomb, a 20 MiB body, a 4,000-item batch, deep or
long JSON, oversized headers and slow clients each get a clean 4xx (or a closed
connection, before there is a request to answer), nothing reaches an upstream, and
the proxy stays healthy. The body limits are the defaults."""

from __future__ import annotations

import json
import socket
import time
import tracemalloc
import urllib.error
import urllib.request
import zlib

import pytest

from proxy import ingress
from proxy.config import Limits
from proxy.errors import PayloadTooLarge
from tests.conftest import settled
from tests.security.conftest import APP_KEYS, HTTP, OWN_APP, UUID7, assert_shape, healthy, key_headers

MiB = 1024 * 1024
DEFAULTS = Limits()
# one feedback endpoint per vendor, with a valid body
FEEDBACK = {
    "opik": (
        "PUT",
        "/api/v1/private/traces/feedback-scores",
        {"scores": [{"id": UUID7, "name": "q", "value": 1, "source": "sdk"}]},
    ),
    "tracia": ("POST", "/api/v1/spans/sp_0123456789abcdef/evaluations", {"evaluatorKey": "q", "value": 1}),
    "scale": ("POST", "/v5/span-assessments", {"assessment_type": "rating", "trace_id": "t-1", "rating": 4}),
}
QUICK = {"header_timeout": 0.5, "request_timeout": 0.5, "max_header_bytes": 16 * 1024}


def gzip_bomb(inflated: int = 64 * MiB) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MiB)
    return b"".join(c.compress(chunk) for _ in range(inflated // MiB)) + c.flush()


@pytest.fixture
def proxy(secure_proxy):
    return secure_proxy(limits=QUICK)


def headers_for(vendor: str, **extra: str) -> dict:
    return {"content-type": "application/json", **key_headers(vendor, APP_KEYS[OWN_APP[vendor]]), **extra}


def nothing_sent(url: str, upstreams) -> None:
    """The proxy accepted nothing: its outbox is settled and no fake got a request."""
    settled(url)
    assert [r for f in upstreams.values() for r in f.received] == []


def still_works(url: str, upstreams, vendor: str = "tracia") -> None:
    healthy(url)
    method, path, body = FEEDBACK[vendor]
    assert HTTP.request(method, url + path, json=body, headers=headers_for(vendor)).status_code == 200
    upstreams[vendor].received.clear()


def test_a_gzip_bomb_gets_413_in_each_vendors_shape(proxy, upstreams):
    bomb = gzip_bomb()
    assert len(bomb) < 100 * 1024 and len(zlib.decompress(bomb, 16 + zlib.MAX_WBITS)) == 64 * MiB
    for vendor, (method, path, _) in FEEDBACK.items():
        started = time.perf_counter()
        resp = HTTP.request(
            method, proxy.url + path, content=bomb, headers=headers_for(vendor, **{"content-encoding": "gzip"})
        )
        message = assert_shape(vendor, resp, 413)
        assert message == f"inflated request body is over the limit of {DEFAULTS.max_inflated_bytes} bytes"
        assert time.perf_counter() - started < 2
    nothing_sent(proxy.url, upstreams)
    still_works(proxy.url, upstreams)


def test_a_gzip_bomb_is_not_inflated_past_the_limit():
    bomb = gzip_bomb()
    limit = MiB
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge):
            ingress.inflate(bomb, "gzip", limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit  # 64 MiB inflated would need 64 MiB


def test_a_20_mib_body_gets_413_declared_or_streamed(proxy, upstreams):
    big = b'{"evaluatorKey": "q", "value": 1, "note": "' + b"x" * (20 * MiB) + b'"}'
    method, path, _ = FEEDBACK["tracia"]
    resp = HTTP.request(method, proxy.url + path, content=big, headers=headers_for("tracia"))
    assert (
        assert_shape("tracia", resp, 413)
        == f"request body of {len(big)} bytes is over the limit of {DEFAULTS.max_body_bytes}"
    )

    def chunks():  # no Content-Length: the proxy counts as it reads
        for i in range(0, len(big), MiB):
            yield big[i : i + MiB]

    resp = HTTP.request(method, proxy.url + path, content=chunks(), headers=headers_for("tracia"))
    assert assert_shape("tracia", resp, 413) == f"request body is over the limit of {DEFAULTS.max_body_bytes} bytes"
    resp = HTTP.request(method, proxy.url + path, content=big, headers={"content-type": "application/json"})
    assert_shape("tracia", resp, 401)  # no key: refused before a byte of it is read
    nothing_sent(proxy.url, upstreams)
    still_works(proxy.url, upstreams)


def test_a_client_that_sends_its_whole_body_before_reading_gets_its_413(secure_proxy, upstreams):
    """urllib (like many HTTP/1.1 clients) writes all 20 MiB, and says Connection: close, before it
    reads a byte: the proxy answers early, then reads and throws away the rest of the body before it
    closes, so the client sees the 413 in its vendor's shape rather than a connection reset."""
    proxy = secure_proxy()  # the default limits: request_timeout bounds the read-and-discard
    big = b'{"evaluatorKey": "q", "value": 1, "note": "' + b"x" * (20 * MiB) + b'"}'
    method, path, _ = FEEDBACK["tracia"]
    for _ in range(3):  # a reset depends on timing: every try must see the answer
        request = urllib.request.Request(proxy.url + path, data=big, method=method, headers=headers_for("tracia"))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 413 and refused.value.headers["connection"] == "close"
        message = f"request body of {len(big)} bytes is over the limit of {DEFAULTS.max_body_bytes}"
        assert json.loads(refused.value.read()) == {
            "error": {"code": "INVALID_REQUEST", "message": message},
            "code": "INVALID_REQUEST",
            "message": message,
        }
    nothing_sent(proxy.url, upstreams)
    still_works(proxy.url, upstreams)


def test_the_rest_of_a_refused_body_is_read_for_a_bounded_time_and_size(secure_proxy):
    """The read-and-discard after an early 413 ends: after limits.request_timeout with the body still
    not in, and past four times limits.max_body_bytes of it."""
    method, path, _ = FEEDBACK["tracia"]
    auth = f"Authorization: Bearer {APP_KEYS['tracia-app']}\r\n"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n{auth}"
        f"Content-Length: {64 * MiB}\r\n\r\n"
    )
    quick = secure_proxy(limits={**QUICK, "max_body_bytes": 64 * 1024})
    host, port = quick.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:  # sends 1 KiB, then nothing
        s.sendall(head.encode() + b"x" * 1024)
        started = time.perf_counter()
        answer = b""
        while chunk := s.recv(65536):  # the answer, then the end of the connection
            answer += chunk
        assert time.perf_counter() - started < QUICK["request_timeout"] + 2
    assert answer.startswith(b"HTTP/1.1 413 ") and b"connection: close" in answer
    with socket.create_connection((host, int(port)), timeout=5) as s:  # sends without end
        sent = 0
        with pytest.raises(OSError):  # reset once the proxy stops reading: 256 KiB discarded, well before 64 MiB
            s.sendall(head.encode())
            while sent < 64 * MiB:
                s.sendall(b"x" * 65536)
                sent += 65536
        assert sent < 32 * MiB


def test_a_4000_item_opik_batch_gets_opiks_own_422(proxy, upstreams):
    item = {"id": UUID7, "name": "q", "value": 1, "source": "sdk"}
    method, path, _ = FEEDBACK["opik"]
    resp = HTTP.request(method, proxy.url + path, json={"scores": [item] * 4000}, headers=headers_for("opik"))
    assert assert_shape("opik", resp, 422) == ["scores size must be between 1 and 1000"]
    resp = HTTP.request(method, proxy.url + path, json={"scores": [item] * 1000}, headers=headers_for("opik"))
    assert resp.status_code == 204
    assert len(upstreams["opik"].received) == 1 and len(upstreams["opik"].received[0].body["scores"]) == 1000


def test_arrays_anywhere_are_bounded_too(proxy, upstreams):
    method, path, body = FEEDBACK["scale"]
    resp = HTTP.request(
        method,
        proxy.url + path,
        json={**body, "assessment_type": "metadata", "metadata": {"list": list(range(1001))}},
        headers=headers_for("scale"),
    )
    [detail] = assert_shape("scale", resp, 422)
    assert detail == {
        "type": "too_long",
        "loc": ["body", "metadata", "list"],
        "msg": "List should have at most 1000 items after validation",
        "input": "[1001 items]",
    }
    method, path, body = FEEDBACK["tracia"]
    resp = HTTP.request(method, proxy.url + path, json={**body, "extra": [0] * 5000}, headers=headers_for("tracia"))
    assert assert_shape("tracia", resp, 400) == "extra must have at most 1000 item(s)"
    nothing_sent(proxy.url, upstreams)


@pytest.mark.parametrize(
    "depth,message", [(40, "body is nested deeper than 32 levels"), (5000, "body is not valid JSON")]
)
def test_deep_json_gets_400(proxy, upstreams, depth, message):
    method, path, _ = FEEDBACK["scale"]
    deep = (
        b'{"assessment_type": "metadata", "trace_id": "t", "metadata": '
        + b'{"a": [' * depth
        + b"1"
        + b"]}" * depth
        + b"}"
    )
    resp = HTTP.request(method, proxy.url + path, content=deep, headers=headers_for("scale"))
    assert assert_shape("scale", resp, 400).startswith(message)
    nothing_sent(proxy.url, upstreams)


def test_a_string_over_the_limit_gets_413(proxy, upstreams):
    method, path, body = FEEDBACK["opik"]
    long = {"scores": [{**body["scores"][0], "reason": "x" * (DEFAULTS.max_string_length + 1)}]}
    resp = HTTP.request(method, proxy.url + path, json=long, headers=headers_for("opik"))
    assert (
        assert_shape("opik", resp, 413)
        == f"a string of {DEFAULTS.max_string_length + 1} characters at scores[0].reason is over the limit of "
        f"{DEFAULTS.max_string_length}"
    )
    nothing_sent(proxy.url, upstreams)


def raw(url: str, data: bytes, wait: float = 5.0) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def test_headers_over_the_limit_get_431(proxy, upstreams):
    method, path, _ = FEEDBACK["opik"]
    big = "x" * (QUICK["max_header_bytes"] + 1)
    got = raw(
        proxy.url,
        f"{method} {path} HTTP/1.1\r\nHost: p\r\nAuthorization: {APP_KEYS['opik-app']}\r\n"
        f"X-Junk: {big}\r\n\r\n".encode(),
    )
    assert got.startswith(b"HTTP/1.1 431 ")
    got = raw(proxy.url, f"GET /healthz?{big} HTTP/1.1\r\nHost: p\r\n\r\n".encode())  # a long request line counts too
    assert got.startswith(b"HTTP/1.1 431 ")
    nothing_sent(proxy.url, upstreams)
    healthy(proxy.url)


def test_a_client_that_never_finishes_its_headers_is_cut_off(proxy):
    for first in (b"", b"PUT /api/v1/private/traces/feedback-scores HTTP/1.1\r\nHost: p\r\n"):
        started = time.perf_counter()
        assert raw(proxy.url, first) == b""  # closed, with nothing to answer
        assert time.perf_counter() - started < QUICK["header_timeout"] + 1.5
    healthy(proxy.url)


def test_a_kept_alive_connection_whose_next_headers_stall_is_cut_off(proxy):
    """The header timeout is set only when a request's headers do not all come in one read: here the
    second request on a connection sends half its headers after the first one's answer."""
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: p\r\n\r\n")
        first = b""
        while b"\r\n\r\n" not in first or not first.endswith(b"}"):
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.perf_counter()
        s.sendall(b"PUT /api/v1/private/traces/feedback-scores HTTP/1.1\r\nHost: p\r\n")
        assert s.recv(65536) == b""  # closed, with nothing to answer (a socket timeout raises instead)
        assert time.perf_counter() - started < QUICK["header_timeout"] + 1.5


def test_a_body_that_never_arrives_gets_408_in_the_vendors_shape(proxy, upstreams):
    method, path, body = FEEDBACK["scale"]
    data = json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"x-api-key: {APP_KEYS['scale-app']}\r\n\r\n"
    ).encode()
    got = raw(proxy.url, head + data[:5])
    status_line, _, rest = got.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1]) == {
        "detail": f"the request body did not arrive within {QUICK['request_timeout']:g} s"
    }
    nothing_sent(proxy.url, upstreams)
    still_works(proxy.url, upstreams, "scale")
