"""An export request (plain OTLP JSON, decode.py) flattened into the items it carries, each with
what it inherits: `resource` (its attributes) and `scope` ({name, version, attributes}).

    spans(request)        -> each span of resourceSpans[].scopeSpans[].spans[]
    span_events(request)  -> each event of those spans, with its span's traceId, spanId, name
    log_records(request)  -> each record of resourceLogs[].scopeLogs[].logRecords[]

An id of zeros (or none) is no id: it is left out, as OTLP means it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def spans(request: dict) -> list[dict]:
    return [
        _with_ids({**span, "resource": resource, "scope": scope})
        for resource, scope, span in _items(request, "resourceSpans", "scopeSpans", "spans")
    ]


def span_events(request: dict) -> list[dict]:
    out = []
    for resource, scope, span in _items(request, "resourceSpans", "scopeSpans", "spans"):
        for event in span.get("events") or []:
            if isinstance(event, dict):
                about = {"traceId": span.get("traceId"), "spanId": span.get("spanId"), "spanName": span.get("name")}
                out.append(_with_ids({**event, **about, "resource": resource, "scope": scope}))
    return out


def log_records(request: dict) -> list[dict]:
    return [
        _with_ids({**record, "resource": resource, "scope": scope})
        for resource, scope, record in _items(request, "resourceLogs", "scopeLogs", "logRecords")
    ]


def _items(request: dict, outer: str, middle: str, inner: str) -> Iterator[tuple[dict, dict, dict]]:
    for res in request.get(outer) or []:
        resource = (res.get("resource") or {}).get("attributes") or {}
        for sc in res.get(middle) or []:
            scope = sc.get("scope") or {}
            scope = {
                "name": scope.get("name", ""),
                "version": scope.get("version", ""),
                "attributes": scope.get("attributes") or {},
            }
            for item in sc.get(inner) or []:
                if isinstance(item, dict):
                    yield resource, scope, item


def _with_ids(item: dict[str, Any]) -> dict[str, Any]:
    for key in ("traceId", "spanId", "parentSpanId"):
        if key in item and not (item[key] or "").strip("0"):
            del item[key]
    return item
