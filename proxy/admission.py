"""Which vendor endpoint a request is for, and whether its caller may call it (proxy/auth.py),
before its body is read: the pipeline's first step (pipeline.py)."""

from __future__ import annotations

import logging

from .errors import RequestError
from .mapping.path_table import PathTable
from .model import Reply

log = logging.getLogger("proxy")


class Admission:
    def __init__(self, config, mappings: dict, router, gate, metrics):
        self.config, self.mappings, self.router, self.gate, self.metrics = config, mappings, router, gate, metrics
        # per method, every vendor's endpoints in one table, vendor after vendor: the first vendor whose
        # endpoint takes the path wins, as trying each vendor's table in turn did, with one match, not five
        routes: dict[str, list] = {}
        for mapping in mappings.values():
            for method, rx, endpoint in mapping.routes:
                routes.setdefault(method, []).append((rx, (mapping, endpoint)))
        self._tables = {method: PathTable(rows) for method, rows in routes.items()}

    def match(self, req):
        """(mapping, endpoint, params, prefix) of the vendor endpoint the request is for, or None."""
        table = self._tables.get(req.method)
        hit = table.match(req.path) if table is not None else None
        if hit is None:
            return None
        (mapping, endpoint), params, prefix = hit
        return mapping, endpoint, params, prefix

    def admit(self, req, found) -> Reply | None:
        """Caller authentication (proxy/auth.py), before the body is read: None to go on,
        else the refusal in the vendor's shape. A vendor's ping, and paths no vendor owns, stay open."""
        if found is not None:
            mapping, endpoint = found[0], found[1]
            if endpoint.spec.op == "ping":
                return None
        else:
            mapping = max(self.mappings.values(), key=lambda m: m.owns(req.path), default=None)
            if mapping is None or mapping.owns(req.path) == 0:
                return None
        route = self.router.route_for(mapping.vendor)
        try:
            named = found[1].name if found is not None else None  # a scoped key is taken on some endpoints only
            client = self.gate.authenticate(
                mapping.spec.auth, req.headers, mapping.vendor, route.index if route else None, named
            )
        except RequestError as exc:
            name = found[1].name if found is not None else "unknown"
            log.warning(
                "request %s: %s %s (%s %s) refused %d: %s",
                req.request_id,
                req.method,
                req.path,
                mapping.vendor,
                name,
                exc.status,
                exc.message,
            )
            self.metrics.request(mapping.vendor, name, exc.status)
            return mapping.error(exc.status, exc.code, exc.message, endpoint=named)
        req.client = client.name if client is not None else None
        req.forward_credentials = bool(
            route
            and route.primary
            and route.primary.vendor == mapping.vendor
            and self.config.routes[route.index].forward_client_credentials
        )
        return None
