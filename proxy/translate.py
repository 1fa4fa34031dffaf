"""Offline translation: one vendor request in, the requests another vendor would
receive out, and (with explain) where each input field went and what was lost.
No network; the same decode and encode the live proxy runs."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from . import ids, jsonio
from .config import Upstream
from .delivery.target import Target
from .errors import ConfigError
from .mapping import VendorMapping, WireRequest
from .mapping.explain import explain
from .model import OutRequest
from .resolve import Resolver
from .store import MemoryStore


@dataclass
class Translation:
    source: str
    endpoint: str
    target: str
    requests: list[OutRequest]
    refused: list[tuple[Any, str]]
    report: list[dict]


def translate(
    mappings: dict[str, VendorMapping],
    src: str,
    dst: str,
    payload: Any,
    endpoint: str | None = None,
    overrides: list[dict] = (),
    secret: str = "feedback-proxy",
) -> Translation:
    for v in (src, dst):
        if v not in mappings:
            raise ConfigError(f"unknown vendor {v!r}; known: {', '.join(mappings)}")
    source, target_map = mappings[src], mappings[dst]
    req = _wire(payload)
    ep = _endpoint(source, endpoint, req)
    if ep.decode is None:
        raise ConfigError(f"{src} endpoint {ep.name!r} carries no feedback to translate")
    if ep.read_body is not None:  # a wire its codec reads (spec.Wire): stdin is its JSON form
        wire = req["wire"]
        wire.body = ep.read_body(jsonio.dumps(wire.body), {**wire.headers, "content-type": "application/json"}, None)
    request_id = uuid.uuid4().hex
    now = int(time.time() * 1000)
    records = ep.decode(req["wire"], {"request_id": request_id, "make_id": ids.record_ids(secret, request_id, now)})
    records = Resolver(MemoryStore()).resolve(records, strict=False)
    upstream = Upstream(vendor=dst, base_url=f"http://{dst}.upstream")
    target = Target(dst, upstream, target_map, MemoryStore(), secret)
    target = target.with_overrides(target_map.compile_overrides(overrides, "overrides"))
    requests, refused = target.encode(records)
    report = explain(ep, req["wire"], records, target, requests, refused)
    return Translation(src, ep.name, dst, requests, refused, report)


def _wire(payload: Any) -> dict:
    """stdin is a body, or {"body": ..., "params": {...}, "query": {...}, "path": "/...", "method": "..."}."""
    envelope = (
        isinstance(payload, dict)
        and "body" in payload
        and set(payload) <= {"body", "params", "query", "headers", "path", "method"}
    )
    p = payload if envelope else {"body": payload}
    return {
        "wire": WireRequest(
            p.get("method", ""),
            dict(p.get("params") or {}),
            dict(p.get("query") or {}),
            dict(p.get("headers") or {}),
            p.get("body"),
        ),
        "path": p.get("path"),
        "method": p.get("method"),
    }


def _endpoint(mapping: VendorMapping, name: str | None, req: dict):
    if name:
        ep = mapping.endpoints.get(name)
        if ep is None:
            raise ConfigError(f"{mapping.vendor} has no endpoint {name!r}; known: {', '.join(mapping.endpoints)}")
        return ep
    if req["path"]:
        for method in [req["method"]] if req["method"] else ["POST", "PUT", "PATCH", "DELETE", "GET"]:
            hit = mapping.match(method, req["path"])
            if hit:
                req["wire"].method = method
                req["wire"].path_params.update(hit[1])
                return hit[0]
        raise ConfigError(f"{mapping.vendor} has no endpoint at {req['path']}")
    return next(e for e in mapping.endpoints.values() if e.decode is not None)
