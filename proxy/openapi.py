"""A machine-readable description of the ingress, served at `/openapi.json`.

Built from the mappings, so it describes exactly what the proxy decodes: one
operation per endpoint and path prefix, its path and query parameters, the body
the decode rules read (types, bounds, enums, required fields), and where the
vendor's SDK puts its key. Knows no vendor by name.
"""

from __future__ import annotations

import re
from typing import Any

from .mapping import VendorMapping, javaregex
from .mapping.paths import parse
from .mapping.rules import Rule

_TYPES = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "uuid": {"type": "string", "format": "uuid"},
    "datetime": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
    "array": {"type": "array"},
}
_PARAM = re.compile(r"\{([^}]+)\}")
_NO_BODY = {"GET", "DELETE", "HEAD"}


def build(mappings: dict[str, VendorMapping], version: str = "") -> dict:
    paths: dict[str, dict] = {}
    schemes: dict[str, dict] = {}
    for vendor, m in sorted(mappings.items()):
        auth = m.spec.auth
        scheme = f"{vendor}_key"
        schemes[scheme] = (
            {"type": "http", "scheme": auth.scheme.lower()}
            if auth.scheme
            else {"type": "apiKey", "in": "header", "name": _title(auth.header)}
        )
        for name, ep in m.endpoints.items():
            for prefix in m.spec.prefixes:
                path = prefix.rstrip("/") + ep.spec.path
                op: dict[str, Any] = {
                    "operationId": f"{vendor}.{name}" + (f"@{prefix}" if prefix else ""),
                    "tags": [vendor],
                    "summary": f"{vendor} {name}",
                    "parameters": _parameters(ep.spec),
                    "responses": {
                        "default": {"description": f"{vendor}'s answer, or a rejection in {vendor}'s error shape"}
                    },
                }
                if ep.spec.op != "ping":
                    op["security"] = [{scheme: []}]
                    op["responses"]["401"] = {"description": "no key, or a key the proxy does not know"}
                    op["responses"]["403"] = {"description": "a known client on a route or vendor it may not use"}
                if ep.spec.wire is not None and ep.spec.wire.request:  # a body its codec reads (spec.Wire)
                    op["requestBody"] = {
                        "required": False,
                        "description": f"read by {ep.spec.wire.request}",
                        "content": {"*/*": {"schema": {}}},
                    }
                elif len(ep.spec.decodes) == 1 and ep.method not in _NO_BODY:
                    schema = body_schema(ep.spec.decodes[0])
                    op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
                paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "feedback-proxy ingress",
            "version": version or "1",
            "description": "The vendor endpoints this proxy answers, as the mappings declare them.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": schemes},
    }


def _parameters(spec) -> list[dict]:
    out = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for p in _PARAM.findall(spec.path)
    ]
    seen = set()
    for rule in [r for decode in spec.decodes for r in _rules(decode)]:
        for steps in _sources(rule):
            if steps[0] == "query" and len(steps) == 2 and steps[1] not in seen:
                seen.add(steps[1])
                out.append(
                    {
                        "name": steps[1],
                        "in": "query",
                        "required": bool(rule.required and not rule.when and _single(rule)),
                        "schema": _schema(rule) or {"type": "string"},
                    }
                )
    return out


def body_schema(decode) -> dict:
    root: dict[str, Any] = {"type": "object", "properties": {}}
    item_root = None
    if decode.each:
        steps = parse(decode.each)
        if steps[0] == "body" and all(isinstance(s, str) for s in steps[1:]) and len(steps) > 1:
            array = _node(root, steps[1:-1])
            spec = {
                "type": "array",
                "items": {"type": "object", "properties": {}},
                **(_schema(decode.items) if decode.items else {}),
            }
            array["properties"][steps[-1]] = spec
            if decode.items is not None and decode.items.required:
                _require(array, steps[-1])
            item_root = spec["items"]
    for rule in _rules(decode):
        for steps in _sources(rule):
            base = root if steps[0] == "body" else item_root if steps[0] == "item" else None
            if base is None or len(steps) < 2 or not all(isinstance(s, str) for s in steps[1:]):
                continue
            parent = _node(base, steps[1:-1])
            field = steps[-1]
            schema = parent["properties"].setdefault(field, {})
            if _single(rule):  # a list of places says nothing about any one of them
                for k, v in _schema(rule).items():
                    schema.setdefault(k, v)
                if rule.required and not rule.when:
                    _require(parent, field)
    _nullable(root)
    return root


def _nullable(node: dict) -> None:
    """What is not required may be an explicit null (the SDKs send them)."""
    props = node.get("properties") or {}
    for name, schema in props.items():
        if name not in node.get("required", []):
            schema["nullable"] = True
        _nullable(schema)
    if isinstance(node.get("items"), dict):
        _nullable(node["items"])


def _rules(decode) -> list[Rule]:
    return [] if decode is None else [*decode.fields.values(), *decode.checks.values()]


def _sources(rule: Rule) -> list[tuple]:
    srcs = rule.src if isinstance(rule.src, list) else [rule.src] if rule.src else []
    return [parse(s) for s in srcs]


def _single(rule: Rule) -> bool:
    """A required field read from one place (a list of places: any one of them)."""
    return not isinstance(rule.src, list) or len(rule.src) == 1


def _node(base: dict, steps: tuple) -> dict:
    node = base
    for s in steps:
        props = node.setdefault("properties", {})
        nxt = props.get(s)
        if nxt is None or nxt.get("type") != "object":
            nxt = props[s] = {"type": "object", "properties": {}}
        node = nxt
    node.setdefault("properties", {})
    return node


def _require(node: dict, field: str) -> None:
    req = node.setdefault("required", [])
    if field not in req:
        req.append(field)


def _schema(rule: Rule) -> dict:
    if isinstance(rule.type, list):  # any of them; an array's elements as `items` says
        return {"anyOf": [_schema(rule.model_copy(update={"type": t})) for t in rule.type]}
    s: dict[str, Any] = dict(_TYPES.get(rule.type or "", {}))
    if rule.type == "object":
        s["properties"] = {}
        if rule.values is not None:
            s["additionalProperties"] = _schema(rule.values)
    if rule.type == "array" and rule.items is not None:
        s["items"] = dict(_TYPES[rule.items]) if isinstance(rule.items, str) else _schema(rule.items)
    for key, name in (
        ("min", "minimum"),
        ("max", "maximum"),
        ("min_length", "minLength"),
        ("max_length", "maxLength"),
        ("pattern", "pattern"),
        ("min_items", "minItems"),
        ("max_items", "maxItems"),
    ):
        value = getattr(rule, key)
        if value is not None:
            s[name] = value
    if "pattern" in s:
        s["pattern"] = javaregex.to_ecma(s["pattern"]) if rule._dialect == "java" else _ecma(s["pattern"])
    if rule.unique:
        s["uniqueItems"] = True
    if rule.one_of is not None:
        s["enum"] = list(rule.one_of)
    return s


def _ecma(pattern: str) -> str:
    r"""OpenAPI patterns are ECMA-262: no inline flags; (?s)'s dot becomes [\s\S]."""
    if pattern.startswith("(?s)"):
        pattern = re.sub(r"(?<!\\)\.", r"[\\s\\S]", pattern[4:])
    return pattern


def _title(header: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in header.split("-"))
