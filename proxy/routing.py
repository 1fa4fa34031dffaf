"""Which upstreams a client's request goes to: the first route whose `from`
names the client's vendor format (or is "*")."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config, broken_references
from .errors import ConfigError
from .delivery.target import Target
from .idspace import IdSpace
from .mapping import VendorMapping
from .store import Store


@dataclass(frozen=True)
class RouteTargets:
    primary: Target | None
    mirrors: tuple[Target, ...]
    untranslatable: str


class Router:
    def __init__(self, config: Config, mappings: dict[str, VendorMapping], targets: dict[str, Target], store: Store):
        self._by_vendor: dict[str, RouteTargets] = {}
        self._spaces = {v: IdSpace(m, store, config.id_secret) for v, m in mappings.items()}
        for _, message in broken_references(config):
            raise ConfigError(message)
        for i, route in enumerate(config.routes):
            if route.src != "*" and route.src not in mappings:
                raise ConfigError(f"routes[{i}].from: no vendor format {route.src!r}; known: {', '.join(mappings)}, or \"*\"")
            def bind(name: str) -> Target:
                t = targets[name]
                cases = route.overrides.get(name, [])
                return t.with_overrides(t.mapping.compile_overrides(cases, f"routes[{i}].overrides.{name}"))

            compiled = RouteTargets(bind(route.primary) if route.primary else None, tuple(bind(n) for n in route.mirrors), route.untranslatable)
            for vendor in mappings if route.src == "*" else [route.src]:
                self._by_vendor.setdefault(vendor, compiled)

    def route_for(self, vendor: str) -> RouteTargets | None:
        return self._by_vendor.get(vendor)

    def own_translate(self, vendor: str):
        return self._spaces[vendor].translate
