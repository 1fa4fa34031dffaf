"""Which upstreams a client's request goes to: the first route whose `from`
names the client's vendor format (or is "*")."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config, broken_references
from .delivery.target import Target, event_ms
from .errors import ConfigError
from .idspace import IdSpace
from .mapping import VendorMapping
from .model import Span
from .store import IdRegistry


@dataclass(frozen=True)
class RouteTargets:
    index: int  # the route's place in the config: outbox rows remember it, for its overrides
    primary: Target | None
    mirrors: tuple[Target, ...]
    untranslatable: str


class Router:
    def __init__(
        self, config: Config, mappings: dict[str, VendorMapping], targets: dict[str, Target], store: IdRegistry
    ):
        self._by_vendor: dict[str, RouteTargets] = {}
        self._routes: list[RouteTargets] = []
        self._targets = targets
        self._spaces = {v: IdSpace(m, store, config.id_secret) for v, m in mappings.items()}
        for _, message in broken_references(config):
            raise ConfigError(message)
        for i, route in enumerate(config.routes):
            if route.src != "*" and route.src not in mappings:
                raise ConfigError(
                    f'routes[{i}].from: no vendor format {route.src!r}; known: {", ".join(mappings)}, or "*"'
                )
            primary = _bind(targets, route, i, route.primary) if route.primary else None
            mirrors = tuple(_bind(targets, route, i, n) for n in route.mirrors)
            compiled = RouteTargets(i, primary, mirrors, route.untranslatable)
            self._routes.append(compiled)
            for vendor in mappings if route.src == "*" else [route.src]:
                self._by_vendor.setdefault(vendor, compiled)

    def route_for(self, vendor: str) -> RouteTargets | None:
        return self._by_vendor.get(vendor)

    def target(self, upstream: str, route: int | None) -> Target:
        """The upstream as that route delivers to it (with the route's overrides)."""
        if route is not None and 0 <= route < len(self._routes):
            r = self._routes[route]
            for t in (r.primary, *r.mirrors):
                if t is not None and t.name == upstream:
                    return t
        return self._targets[upstream]

    def own_translate(self, vendor: str):
        return self._spaces[vendor].translate

    def alias(self, route: RouteTargets, records: list) -> None:
        """The traces and spans a request brought, aliased at once by each upstream of the route
        that takes their ids as they are (IdSpace.alias)."""
        vendors = {t.vendor for t in (route.primary, *route.mirrors) if t is not None}
        for rec in records:
            if isinstance(rec, Span):
                for vendor in vendors:
                    self._spaces[vendor].alias(rec, event_ms(rec.start_time))


def _bind(targets: dict[str, Target], route, i: int, name: str) -> Target:
    """The upstream `name` as route `i` sends to it: with the route's overrides of its encode."""
    t = targets[name]
    cases = route.overrides.get(name, [])
    return t.with_overrides(t.mapping.compile_overrides(cases, f"routes[{i}].overrides.{name}"))
