"""The loss report: where each input field went, and what did not arrive.

Built from the mapping specs (which wire path feeds which canonical field,
which canonical field feeds which target field) and the actual records, so it
shows what happened to *this* request, not what could happen in general.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import FIELDS, SPAN_FIELDS
from .rules import Rule

_REF = re.compile(r"\{([^{}]+)\}")
_SILENT = {"op", "entity", "id", "origin"}
_CANONICAL = frozenset(FIELDS) | frozenset(SPAN_FIELDS)  # an assessment's fields and a span's


def explain(endpoint, wire, records, target, requests, refused) -> list[dict]:
    decodes = endpoint.spec.decodes  # one, or several (records of several kinds from one request)
    feeds: dict[str, str] = {}
    for decode in decodes:
        for wire_path, canonical in _decode_feeds(decode).items():
            feeds.setdefault(wire_path, canonical)
    merged = {k: v for decode in decodes for k, v in _ignored_of(decode).items()}
    rows: list[dict] = []
    reaches: dict[str, list[str]] = {}
    lost: dict[str, str] = {}
    refused_ids = {id(r) for r, _ in refused}
    for rec in records:
        if id(rec) in refused_ids:
            continue
        case = target.mapping.pick(*target.ready(rec), target.overrides)
        if case is None:
            continue
        outs = _encode_feeds(case)
        for f in rec.present():
            if f in outs:
                reaches.setdefault(f, [])
                reaches[f] += [o for o in outs[f] if o not in reaches[f]]
            elif f not in _SILENT:
                lost.setdefault(f, case.spec.lost.get(f) or f"{target.vendor} {case.name} has no place for it")
    for leaf, canonical in _inputs(wire, feeds):
        if canonical is None:
            ignored = _ignored_for(leaf, decodes, merged)
            why = ignored.get(leaf) or _ignored_above(leaf, ignored) or "the proxy does not read it"
            rows.append({"input": leaf, "canonical": None, "output": None, "status": "dropped", "note": why})
        elif canonical in reaches:
            rows.append(
                {"input": leaf, "canonical": canonical, "output": ", ".join(reaches[canonical]), "status": "kept"}
            )
        elif canonical in lost:
            rows.append(
                {"input": leaf, "canonical": canonical, "output": None, "status": "lost", "note": lost[canonical]}
            )
    for rec, why in refused:
        # skipped: nothing to send now, by design; waits: for what only a later request gives (the live
        # proxy holds it in the outbox, e.g. a score until its span, a trace's score until its root span)
        status = "skipped" if getattr(why, "skip", False) else "waits" if getattr(why, "missing", None) else "lost"
        rows.append(
            {
                "input": "(whole record)",
                "canonical": f"{rec.op} on a {rec.entity}" + (f" named {rec.name!r}" if rec.name else ""),
                "output": None,
                "status": status,
                "note": why,
            }
        )
    return rows


def _ignored_for(leaf: str, decodes: list, merged: dict[str, str]) -> dict[str, str]:
    """The `ignored` of the decode whose elements hold the leaf (an endpoint with several:
    also_decode), else every decode's."""
    for decode in decodes:
        if decode.each and (leaf.startswith(decode.each + "[*]") or leaf.startswith(decode.each + ".")):
            return _ignored_of(decode)
    return merged


def _ignored_of(decode) -> dict[str, str]:
    """A decode's `ignored`, with its cases' (elements of several kinds)."""
    return {**{k: v for case in decode.cases for k, v in case.ignored.items()}, **decode.ignored}


def _ignored_above(leaf: str, ignored: dict[str, str]) -> str | None:
    """Why the decode ignores a leaf: the reason given for it, or for the outermost field
    above it (`resource` for body.spans[*].resource.service.name)."""
    for step in re.split(r"\.|\[\*\]", leaf)[1:]:
        if step in ignored:
            return ignored[step]
    return None


def _decode_feeds(decode) -> dict[str, str]:
    """wire path -> canonical field."""
    out: dict[str, str] = {}
    prefix = decode.each + "[*]" if decode.each else ""
    rules = [*decode.fields.items(), *(pair for case in decode.cases for pair in case.fields.items())]  # a case's too
    for canonical, rule in rules:
        for path in sources(rule):
            wire = prefix + path[4:] if path.startswith("item") and prefix else path
            out.setdefault(wire, canonical)
            if wire != path and path.startswith("item"):  # `each` may name one object rather than an array
                out.setdefault(decode.each + path[4:], canonical)
    return out


def _encode_feeds(case) -> dict[str, list[str]]:
    """canonical field -> target fields (with what happens on the way)."""
    out: dict[str, list[str]] = {}
    into = f"{case.spec.group.into}[]." if case.spec.group else ""
    sections = [("body", case.spec.body or {}), ("path", case.spec.params), ("query", case.spec.query)]
    if case.spec.reuse:
        sections.append(("body", {"(as a create)": Rule(src=list(FIELDS))}))  # every field, as its create sends it
    for section, rules in sections:
        for name, rule in rules.items():
            target = f"{into}{name}" if section == "body" else f"{section}.{name}"
            for path in sources(rule):
                field = path[4:] if path.startswith("rec.") else path
                if field.startswith(("ctx.", "item.")):
                    field = case.spec.each if field.startswith("item.") and case.spec.each else None
                if field in _CANONICAL:
                    out.setdefault(field, []).append(target + _how(rule))
            for field in rule.carry or []:
                out.setdefault(field, []).append(f"{target} (carried)")
    return out


def sources(rule: Rule) -> list[str]:
    """The input paths a rule reads (its `from`, or the fields its template names)."""
    if isinstance(rule.src, list):
        return list(rule.src)
    if rule.src:
        return [rule.src]
    if rule.template:
        return [m.strip() for m in _REF.findall(rule.template)]
    return []


def _how(rule: Rule) -> str:
    steps = []
    if rule.id:
        steps.append(f"id translated to {rule.id} id")
    if rule.rescale:
        steps.append(f"rescaled to {rule.rescale.to}")
    if rule.round:
        steps.append("rounded")
    if rule.clamp:
        steps.append("clamped")
    if rule.threshold is not None:
        steps.append(f"threshold {rule.threshold}: lossy")
    if rule.enum:
        steps.append("mapped")
    if rule.note:  # what the rule says of itself: a change of shape, a default a vendor needs
        steps.append(rule.note)
    return f" ({', '.join(steps)})" if steps else ""


def _inputs(wire, feeds: dict[str, str]) -> list[tuple[str, str | None]]:
    """Every leaf the client sent, with the canonical field it fed (None: none)."""
    sent = leaves(wire.body) + [f"path.{k}" for k in wire.path_params] + [f"query.{k}" for k in wire.query]
    out = []
    for leaf in sent:
        hit = None
        for path, canonical in feeds.items():
            if leaf == path or leaf.startswith(path + ".") or leaf.startswith(path + "["):
                if hit is None or len(path) > len(hit[0]):
                    hit = (path, canonical)
        out.append((leaf, hit[1] if hit else None))
    return out


def leaves(value: Any, path: str = "body") -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in leaves(v, f"{path}.{k}")]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys: dict[str, None] = {}
        for v in value:
            for leaf in leaves(v, f"{path}[*]"):
                keys[leaf] = None
        return list(keys)
    return [path]


def render(rows: list[dict], src: str, endpoint: str, dst: str) -> str:
    """The loss report as text (`translate --explain`, the playground, a back-fill's dry run)."""
    lines = [f"\nloss report: {src} {endpoint} -> {dst}"]
    width = max((len(r["input"]) for r in rows), default=10)
    for r in rows:
        if r["status"] == "kept":
            lines.append(f"  kept     {r['input']:<{width}}  -> {r['canonical']} -> {r['output']}")
        else:
            via = f" -> {r['canonical']}" if r["canonical"] else ""
            lines.append(f"  {r['status']:<8} {r['input']:<{width}} {via}: {r['note']}")
    lost = [r for r in rows if r["status"] != "kept"]
    lines.append(f"  {len(rows) - len(lost)} kept, {len(lost)} lost or dropped" if rows else "  nothing to report")
    return "\n".join(lines)
