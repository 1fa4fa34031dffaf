"""Helpers shared by the unit tests: the built-in mappings, captured requests,
and decode / encode the way the proxy does them, without a network."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from proxy import ids, idspace, vendors
from proxy.config import Upstream
from proxy.delivery.target import Target
from proxy.mapping import WireRequest, load_all
from proxy.model import Assessment, OutRequest, Ref
from proxy.store import MemoryStore

MAPPINGS = load_all()
SECRET = "secret"
NOW_MS = 1767225600000  # 2026-01-01T00:00:00Z: the time part of ids derived while time is frozen


def capture(vendor: str, name: str) -> dict:
    """One captured SDK request (method, path, query, headers, body, response)."""
    return json.loads((vendors.get(vendor).fixtures / name).read_text())


def decode(
    vendor: str, method: str, path: str, body: Any = None, query: dict | None = None, content_type: str | None = None
) -> list[Assessment]:
    """Route a wire request the way ingress does and decode it (raises ValidationFailed). Where the
    endpoint's wire is not JSON (a mapping's wire.request: OTLP), `body` is read as the pipeline
    reads it: JSON (a parsed body), or the bytes sent with `content_type` (protobuf)."""
    hit = MAPPINGS[vendor].match(method, path)
    assert hit is not None, f"{vendor} has no endpoint for {method} {path}"
    endpoint, params, _ = hit
    if endpoint.read_body is not None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        body = endpoint.read_body(raw, {"content-type": content_type or "application/json"}, None)
    return endpoint.decode(
        WireRequest(method, params, query or {}, {}, body), {"request_id": "r1", "make_id": lambda i: f"rec-{i}"}
    )


def decode_capture(vendor: str, name: str) -> list[Assessment]:
    from tests.conftest import sample_wire

    c = capture(vendor, name)
    query = {k: v[0] if isinstance(v, list) else v for k, v in (c.get("query") or {}).items()}
    body, ctype = c["body"], None
    if body is None and (c.get("body_info") or {}).get("body_base64"):  # bytes that are not JSON (protobuf)
        body, ctype = sample_wire(vendor, name)
    return decode(vendor, c["method"], c["path"], body, query, ctype)


def decode_input(vendor: str, name: str) -> Any:
    """What a capture's decode reads: its JSON body, or where the endpoint's wire is not JSON (a
    mapping's wire.request: OTLP), what the wire's reader makes of the bytes that were sent."""
    from tests.conftest import sample_wire

    c = capture(vendor, name)
    hit = MAPPINGS[vendor].match(c["method"], c["path"])
    if hit is None or hit[0].read_body is None:
        return c["body"]
    raw, ctype = sample_wire(vendor, name)
    return hit[0].read_body(raw, {"content-type": ctype}, None)


def target(vendor: str, store: MemoryStore | None = None) -> Target:
    return Target(
        vendor, Upstream(vendor=vendor, base_url="http://upstream"), MAPPINGS[vendor], store or MemoryStore(), SECRET
    )


def encode(
    vendor: str, records: list[Assessment], store: MemoryStore | None = None
) -> tuple[list[OutRequest], list[tuple[Assessment, str]]]:
    return target(vendor, store).encode(records)


def wire(requests: list[OutRequest]) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in requests]


def reasons(refused: list[tuple[Assessment, str]]) -> list[str]:
    return [why for _, why in refused]


def freeze_time(monkeypatch) -> None:
    """Ids the registry derives now get NOW_MS as their time part."""
    monkeypatch.setattr(idspace, "time", SimpleNamespace(time=lambda: NOW_MS / 1000))


def opik_id(vendor: str, value: str) -> str:
    """The UUIDv7 Opik gets for a foreign id while time is frozen."""
    return ids.derived_uuid7(SECRET, f"{vendor}:{value}", NOW_MS)


def tracia_span(vendor: str, value: str) -> str:
    return "sp_" + ids.derived_hex(SECRET, f"{vendor}:{value}")


def score(**fields: Any) -> Assessment:
    """A canonical upsert; ids given as (vendor, value) tuples become Refs."""
    for k in ("trace_id", "span_id"):
        if isinstance(fields.get(k), tuple):
            fields[k] = Ref(*fields[k])
    fields.setdefault("op", "upsert")
    return Assessment(**fields)
