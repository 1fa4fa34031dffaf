"""A page of items read -> the live write requests they would have been.

Each `Write` of a history file is compiled once: its rules build one body per element
(an item, an element of one of its arrays, or a followed item), then the elements of a
page go in one request (`group`) or one request each. Pure: no network, no store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import vendors
from ..errors import ConfigError
from ..mapping import VendorMapping, WireRequest
from ..mapping.paths import MISSING, compile_getter, setter
from ..mapping.rules import Rule, RuleViolation, compile_rule
from ..model import Span
from .spec import Write

ROOTS = frozenset({"ctx", "item", "each"})


@dataclass(slots=True)
class Element:
    """One element's part of a write request, and what identifies its record."""

    body: dict
    params: dict
    key: str | None = None
    known_as: str | None = None
    at: str | None = None


@dataclass(slots=True)
class WriteRequest:
    write: CompiledWrite
    wire: WireRequest
    elements: list[Element]  # in the order the decode makes its records


class CompiledWrite:
    def __init__(self, spec: Write, mapping: VendorMapping):
        endpoint = mapping.endpoints.get(spec.endpoint)
        if endpoint is None or endpoint.decode is None:
            raise ConfigError(
                f"history of {mapping.vendor}: {spec.endpoint!r} is not an endpoint of {mapping.vendor}'s mapping that "
                f"decodes"
            )
        if endpoint.decode.kind is not Span and spec.key is None:
            raise ConfigError(
                f"history of {mapping.vendor}: the write to {spec.endpoint!r} makes assessments, so it needs a `key` "
                f"(what identifies one at every read)"
            )
        self.spec, self.endpoint, self.name = spec, endpoint, spec.name or spec.endpoint
        self.method = endpoint.spec.method
        self.body = _compiled(spec.body)
        self.params = _compiled(spec.params)
        self.key, self.known_as, self.at = (_one(r) for r in (spec.key, spec.known_as, spec.at))
        self.elements_of = _elements_getter(spec.each)

    def requests(self, items: list[tuple[dict, list | None]], ctx: dict) -> tuple[list[WriteRequest], list[str]]:
        """(item, its followed items) of one page -> the write requests, and why any element could not be built."""
        built, bad = [], []
        for item, follows in items:
            for each in self.elements_of(item, follows):
                src = {"ctx": ctx, "item": item, "each": each}
                try:
                    built.append(
                        Element(
                            _fill(self.body, src),
                            _fill(self.params, src),
                            _text(self.key, src),
                            _text(self.known_as, src),
                            _text(self.at, src),
                        )
                    )
                except RuleViolation as v:
                    bad.append(f"{self.name}: {'.'.join(map(str, v.loc))} {v.kind}")
        if self.spec.group:
            groups: dict[tuple, list[Element]] = {}
            for el in built:
                groups.setdefault(tuple(sorted(el.params.items())), []).append(el)
            return [
                self._request(els[0].params, {self.spec.group: [e.body for e in els]}, els) for els in groups.values()
            ], bad
        return [self._request(el.params, el.body, [el]) for el in built], bad

    def _request(self, params: dict, body: Any, elements: list[Element]) -> WriteRequest:
        return WriteRequest(
            self, WireRequest(self.method, {k: str(v) for k, v in params.items()}, {}, {}, body), elements
        )


def _compiled(rules: dict[str, Rule]) -> list[tuple[Callable, Callable]]:
    return [(setter(name), compile_rule(rule, ROOTS, vendors.function)[0]) for name, rule in rules.items()]


def _one(rule: Rule | None) -> Callable | None:
    return compile_rule(rule, ROOTS, vendors.function)[0] if rule is not None else None


def _fill(rules: list[tuple[Callable, Callable]], src: dict) -> dict:
    out: dict = {}
    for put, run in rules:
        v = run(src)
        if v is not MISSING:
            put(out, v)
    return out


def _text(run: Callable | None, src: dict) -> str | None:
    if run is None:
        return None
    v = run(src)
    return None if v is MISSING or v is None else str(v)


def _elements_getter(each: str | None) -> Callable[[dict, list | None], list]:
    """`each` -> (item, follows) -> the elements: the item itself, one of its arrays, or the followed items."""
    if each is None:
        return lambda item, follows: [item]
    if each == "follow":
        return lambda item, follows: list(follows or [])
    _, get = compile_getter(each, frozenset({"item"}))

    def elements(item: dict, follows: list | None) -> list:
        found = get({"item": item})
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []

    return elements


def check_histories(mappings: dict[str, VendorMapping], mappings_dir: str | None) -> list[str]:
    """`feedback-proxy check`: every history file there is for these vendors, loaded and compiled
    against its vendor's mapping (raises ConfigError, located); the vendors that have one."""
    from .spec import history_path, load_history

    found = []
    for vendor in sorted(mappings):
        if history_path(vendor, mappings_dir) is not None:
            for listing in load_history(vendor, mappings_dir).lists:
                for write in listing.writes:
                    CompiledWrite(write, mappings[vendor])
            found.append(vendor)
    return found
