"""Thousands of generated hostile requests over every ingress endpoint (from the
mappings) and every header combination: junk paths, methods, queries, keys,
encodings, content types and bodies. Whatever comes: never a 5xx, every rejection
exactly in the vendor's shape, nothing stored (or so delivered) for a rejected
request, and the proxy healthy afterwards."""

from __future__ import annotations

import functools
import gzip
import json
import re
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.conftest import sample, sample_wire
from tests.security.conftest import (
    APP_KEYS,
    HTTP,
    MAPPINGS,
    OTHER_APP,
    OWN_APP,
    PARAMS,
    UUID7,
    WRONG_KEY,
    assert_shape,
    healthy,
    is_open,
    key_headers,
    owner_of,
)

# A failing example is kept (under the repo's git-ignored .hypothesis/) and tried first by the next run, and
# printed as a blob for @reproduce_failure: a failure that comes only under load is not lost with its run.
EXAMPLES = DirectoryBasedExampleDatabase(Path(__file__).resolve().parents[2] / ".hypothesis" / "examples")
JUNK = settings(deadline=None, suppress_health_check=list(HealthCheck), database=EXAMPLES, print_blob=True)

# Mirrors only: every answer is the proxy's own, so every 4xx is a rejection by the proxy.
ROUTES = [
    {"name": "opik-route", "from": "opik", "mirrors": ["scale", "tracia"]},
    {"name": "tracia-route", "from": "tracia", "mirrors": ["opik"]},
    {"name": "scale-route", "from": "scale", "mirrors": ["opik"]},
    {"name": "langfuse-route", "from": "langfuse", "mirrors": ["opik"]},
    {"name": "otel-route", "from": "otel", "mirrors": ["opik"]},
]
TEMPLATES = [
    (v, n, m.spec.prefixes, ep.method, ep.spec.path)
    for v, m in sorted(MAPPINGS.items())
    for n, ep in m.endpoints.items()
]
SCORE = {"id": UUID7, "name": "accuracy", "value": 0.5, "source": "sdk"}
VALID = {  # a valid body per endpoint name where one is needed; a new endpoint starts from {} and junk
    "traces_scores": {"scores": [SCORE]},
    "spans_scores": {"scores": [SCORE]},
    "threads_scores": {"scores": [{**SCORE, "thread_id": "t-1", "project_name": "p"}]},
    "trace_score": {"name": "accuracy", "value": 1, "source": "ui"},
    "span_score": {"name": "accuracy", "value": 1, "source": "ui"},
    "trace_score_delete": {"name": "accuracy"},
    "span_score_delete": {"name": "accuracy"},
    "threads_score_delete": {"project_name": "p", "thread_id": "t-1", "names": ["accuracy"]},
    "trace_comment": {"text": "hello"},
    "span_comment": {"text": "hello"},
    "evaluate_traces": {"project_id": UUID7, "entity_ids": [UUID7], "rule_ids": [UUID7], "entity_type": "trace"},
    "evaluate_spans": {"project_id": UUID7, "entity_ids": [UUID7], "rule_ids": [UUID7], "entity_type": "span"},
    "evaluate_threads": {"project_id": UUID7, "entity_ids": ["t-1"], "rule_ids": [UUID7], "entity_type": "thread"},
    "create": {"assessment_type": "rating", "trace_id": "t-1", "span_id": "s-1", "rating": 3},
    "update": {"rating": 2},
    "evaluate": {"evaluatorKey": "quality", "value": 1, "note": "n"},
    "scores": {"traceId": "t-1", "name": "accuracy", "value": 0.5},
    "ingestion": {
        "batch": [
            {
                "id": "e-1",
                "type": "score-create",
                "timestamp": "2026-01-01T00:00:00Z",
                "body": {"traceId": "t-1", "name": "accuracy", "value": 1},
            }
        ]
    },
    # OTLP JSON (the JS SDK's captures); as protobuf: VALID_PB
    "traces": sample("otel", "js_otlp_json__traces.json")["body"],
    "logs": sample("otel", "js_otlp_json__logs.json")["body"],
}
VALID_PB = {
    "traces": sample_wire("otel", "openlit_log_score__traces.json")[0],
    "logs": sample_wire("otel", "openlit_log_score__logs.4.json")[0],
}
PROTOBUF = "application/x-protobuf"
OTLP_KEYS = {"resourceSpans", "resourceLogs", "scopeLogs", "logRecords", "traceId"}
KEYS = sorted(
    {k for b in VALID.values() for k in b}
    | OTLP_KEYS
    | {
        "metadata",
        "rubric",
        "overwrite",
        "approval",
        "comment",
        "reason",
        "category_name",
        "project_id",
        "author",
        "source_queue_id",
        "thread_id",
        "value_by_author",
    }
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from([UUID7, "sdk", "ui", "rating", "approved", "trace", "span", "", " ", "\u0000", "\ud7ff"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=6),
    ),
    max_leaves=20,
)
SEGMENT = st.one_of(
    st.sampled_from([UUID7, "sp_0123456789abcdef", "a-1", "..", "%2F", "%00", "%ZZ", "x" * 300]),
    st.text(min_size=1, max_size=12).map(lambda t: quote(t, safe="")),
)
TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=12)
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)
AUTH = [
    "none",
    "right",
    "ops",
    "wrong",
    "other route",
    "other format",
    "no scheme",
    "extra scheme",
    "empty",
    "huge",
    "wrong header",
    "tab",
]
UNAUTHENTICATED = st.sampled_from(tuple(a for a in AUTH if a not in ("right", "ops")))
MOSTLY_AUTHENTICATED = st.sampled_from(
    ("right",) * 6 + ("ops",) * 2 + tuple(a for a in AUTH if a not in ("right", "ops"))
)
OWN = {"/healthz", "/readyz", "/metrics", "/openapi.json"}
METHODS = [
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "HEAD",
    "TRACE",
    "PROPFIND",
]  # an unknown method is the HTTP parser's 400, before any app


def auth_headers(vendor: str | None, how: str) -> dict[str, str]:
    if vendor is None:
        vendor = "opik"
    auth = MAPPINGS[vendor].spec.auth
    own = APP_KEYS[OWN_APP[vendor]]
    return {
        "none": {},
        "right": key_headers(vendor, own),
        "ops": key_headers(vendor, APP_KEYS["ops"]),
        "wrong": key_headers(vendor, WRONG_KEY),
        "other route": key_headers(vendor, APP_KEYS[OTHER_APP[vendor]]),
        "other format": key_headers(vendor, APP_KEYS["tracia-only"])
        if vendor != "tracia"
        else key_headers(vendor, APP_KEYS["opik-app"]),
        "no scheme": {auth.header: own} if auth.scheme else {auth.header: "Basic " + own},
        "extra scheme": {auth.header: f"Bearer Bearer {own}"},
        "empty": {auth.header: ""},
        "huge": {auth.header: "k" * 8000},
        "wrong header": {"x-api-key" if auth.header.lower() == "authorization" else "authorization": own},
        "tab": {auth.header: f"{auth.scheme}\t{own}" if auth.scheme else f"{own}\tx"},
    }[how]


@functools.cache
def big(name: str, kind: str, over: int) -> bytes:
    """A body just over (over=1) or just under a limit: nesting, items in an array, a string's length."""
    valid = VALID.get(name, {})
    if kind == "deep":
        n = (31, 1100)[over]
        return b'{"scores": ' + b"[" * n + b"]" * n + b"}"
    if kind == "wide":
        return json.dumps({**valid, "scores": [SCORE] * (999 + 2 * over)}).encode()
    return json.dumps({**valid, "note": "x" * (1024 * 1024 - 1 + 2 * over)}).encode()


@functools.lru_cache(maxsize=256)
def packed(body: bytes, how: str) -> bytes:
    return gzip.compress(body) if how == "gzip" else zlib.compress(body)


# Every strategy built once, here: hypothesis validates a strategy each time one is made.
OPERATION = st.sampled_from(tuple((v, n, p, m, t) for v, n, prefixes, m, t in TEMPLATES for p in prefixes))
SHAPE = st.sampled_from(("endpoint", "endpoint", "endpoint", "junk tail", "junk path"))
SEGMENTS = st.lists(SEGMENT, min_size=1, max_size=4)
METHOD = st.sampled_from(tuple(METHODS))
KIND = st.sampled_from(("valid", "changed", "changed", "json", "bytes", "empty", "deep", "wide", "long"))
CHANGES = st.lists(
    st.tuples(st.sampled_from(tuple(KEYS)), st.one_of(st.none(), JSON)), min_size=1, max_size=3
)  # None: the key goes
BYTES = st.binary(max_size=64)
ENCODING = st.sampled_from((None, None, "gzip", "gzip-lie", "deflate", "br", "identity", "GZIP", "gzip, deflate"))
CTYPE = st.sampled_from(
    (
        "application/json",
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        None,
        "application/json; charset=latin-1",
        PROTOBUF,
        PROTOBUF,
    )
)
EXTRA = st.dictionaries(TOKEN.map(lambda t: "x-" + t), HEADER_VALUE, max_size=3)
QUERY = st.dictionaries(
    st.sampled_from(("trace_id", "span_id", "assessment_type", "workspace_name", "x")), st.text(max_size=6), max_size=2
)
COIN, D5, D10 = st.booleans(), st.integers(0, 4), st.integers(0, 9)
# (where, byte): changes to a protobuf
FLIPS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4)


@st.composite
def hostile(draw, auths: st.SearchStrategy):
    vendor, name, prefix, method, template = draw(OPERATION)
    shape = draw(SHAPE)
    path = prefix.rstrip("/") + re.sub(
        r"\{[^}]+\}", lambda _: draw(SEGMENT) if draw(COIN) else PARAMS[vendor], template
    )
    if shape == "junk tail":
        path += "/" + "/".join(draw(SEGMENTS)[:3])
    elif shape == "junk path":
        path = "/" + "/".join(draw(SEGMENTS))
    if draw(D5) == 0:
        method = draw(METHOD)
    how = draw(auths)
    headers = {**auth_headers(owner_of(path) or vendor, how)}
    kind = draw(KIND)
    valid = VALID.get(name, {})
    ctype = draw(CTYPE)
    if ctype == PROTOBUF and name in VALID_PB and kind in ("valid", "changed"):  # OTLP protobuf: as sent, or changed
        body = bytearray(VALID_PB[name])
        for at, byte in draw(FLIPS) if kind == "changed" else ():
            body[at % len(body)] = byte
        body = bytes(body)
    elif kind == "valid":
        body = json.dumps(valid).encode()
    elif kind == "changed":
        data = dict(valid)
        for key, value in draw(CHANGES):
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        body = json.dumps(data).encode()
    elif kind == "json":
        body = json.dumps(draw(JSON)).encode()
    elif kind == "bytes":
        body = draw(BYTES)
    elif kind == "empty":
        body = b""
    else:  # over a limit, or just under it: built once
        body = big(name, kind, int(draw(COIN)))
    encoding = draw(ENCODING)
    if encoding == "gzip" or encoding == "GZIP":
        body = packed(body, "gzip")
    elif encoding == "deflate":
        body = packed(body, "deflate")
    elif encoding == "gzip-lie":
        encoding = "gzip"
    if encoding is not None:
        headers["content-encoding"] = encoding
    if ctype is not None:
        headers["content-type"] = ctype
    headers.update(draw(EXTRA))
    if draw(D10) == 0:  # a second copy of the auth header, a wrong one
        headers.update({k.upper(): v + "x" for k, v in auth_headers(vendor, "right").items()})
    return vendor, name, method, path, draw(QUERY), headers, body, how


@pytest.fixture(scope="module")
def proxy(module_proxy):
    return module_proxy(ROUTES)


def send(url: str, method: str, path: str, query: dict, headers: dict, body: bytes):
    return HTTP.request(
        method, url + path, params=query, headers=headers, content=body if method not in ("GET", "HEAD") else None
    )


def check(proxy, seen: dict, example) -> None:
    vendor, name, method, path, query, headers, body, how = example
    before = proxy.accepted()
    resp = send(proxy.url, method, path, query, headers, body)
    status = resp.status_code
    seen[status] = seen.get(status, 0) + 1
    assert status < 500, (status, method, path, resp.text[:500])
    sent = resp.request.url.raw_path.decode().split("?")[0]  # the path as sent (the client drops dot segments)
    if sent in OWN:  # a "/x/../healthz" lands on the proxy's own probes: open, and plain
        return
    owner = owner_of(sent)
    if status >= 400:
        assert proxy.accepted() == before, ("a rejected request was stored", status, method, path)
        if method != "HEAD":
            try:
                assert_shape(owner, resp)
            except AssertionError as exc:
                raise AssertionError(f"{method} {sent!r} ({how}): {exc}") from None
    hit = MAPPINGS[vendor].match(method, sent)  # the path as sent: a "/x/.." may land on a ping
    ping = owner == vendor and hit is not None and is_open(vendor, hit[0].name)
    if how not in ("right", "ops") and owner is not None and not ping:
        assert status in (401, 403), (how, status, method, path, resp.text[:300])


def test_unauthenticated_junk_is_refused_and_nothing_is_stored_or_delivered(proxy, private_fakes):
    seen: dict[int, int] = {}
    before = proxy.accepted()

    @settings(JUNK, max_examples=600)
    @given(hostile(UNAUTHENTICATED))
    def one(example):
        check(proxy, seen, example)

    one()
    assert proxy.accepted() == before
    print(f"unauthenticated junk: {sum(seen.values())} requests, statuses {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= 600 and set(seen) <= {401, 403, 404, 405, 200}, (
        seen
    )  # 200: a ping; 404/405: a path no vendor owns
    assert seen[401] > 250 and seen[403] > 20, seen
    assert [r.path for s in private_fakes.values() for r in s.vendor.received] == []
    assert proxy.store.depth() == {}
    healthy(proxy.url)


def test_authenticated_junk_gets_a_clean_4xx_and_the_proxy_stays_healthy(proxy, private_fakes):
    seen: dict[int, int] = {}

    @settings(JUNK, max_examples=1400)
    @given(hostile(MOSTLY_AUTHENTICATED))
    def one(example):
        check(proxy, seen, example)

    one()
    assert sum(seen.values()) >= 1400
    print(
        f"authenticated junk: {sum(seen.values())} requests, statuses {dict(sorted(seen.items()))}; outbox "
        f"{proxy.store.depth()}"
    )
    assert {400, 401, 403, 404} <= set(seen) and seen.keys() & {200, 201, 202, 204}, (
        seen
    )  # both sides of the line reached
    healthy(proxy.url)
    resp = HTTP.post(
        proxy.url + "/api/v1/spans/sp_0123456789abcdef/evaluations",
        json=VALID["evaluate"],
        headers=key_headers("tracia", APP_KEYS["tracia-app"]),
    )
    assert resp.status_code == 200
