"""One request, start to end: decode once, route once, encode once per upstream.

    incoming -> match a vendor endpoint -> inflate, parse, decode -> resolve
    (updates and removals find the assessment they name) -> primary -> reply
    -> remember -> mirrors

Knows no vendor by name: everything vendor-specific comes from the mappings.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from . import auth, ids, ingress, replies
from .admission import Admission
from .config import Config, delivery_for
from .delivery.forward import forward
from .delivery.outbox import Outbox
from .delivery.primary import send_translated
from .delivery.target import Target, now_iso
from .errors import EncodeError, NotFound, ProxyError, RequestError, UpstreamError
from .mapping import VendorMapping, WireRequest
from .mapping.engine import CompiledEndpoint
from .metrics import Metrics
from .model import Assessment, Reply, Span
from .resolve import Resolver
from .routing import Router
from .store import Store, reading
from .store.writes import Writes
from .upstream import Transport

log = logging.getLogger("proxy")


# request ids' generator: seeded from the OS, and again in a forked child (serve --workers), and apart
# from the random module's own, which anything in the process may seed (hypothesis does, per example)
_REQUEST_IDS = random.Random()
os.register_at_fork(after_in_child=_REQUEST_IDS.seed)


@dataclass(slots=True)
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    url: str  # as the client sent it, without the query
    raw_query: str = ""
    read: Callable[[], Awaitable[bytes]] | None = None  # reads `body` when it is needed
    # 32 hex digits, as uuid4().hex: unique, not secret, and no system call per request (os.urandom's)
    request_id: str = field(default_factory=lambda: f"{_REQUEST_IDS.getrandbits(128):032x}")
    client: str | None = None  # the authenticated client's name (None: anonymous)
    forward_credentials: bool = False  # its own vendor credentials go to a same-vendor primary
    decoded: Any = None  # the body as the endpoint read it (JSON, or its wire's codec): a wire's reply reads it


class Proxy:
    def __init__(self, config: Config, mappings: dict[str, VendorMapping], store: Store, transport: Transport):
        self.config, self.mappings, self.store, self.transport = config, mappings, store, transport
        targets = {n: Target(n, up, mappings[up.vendor], store, config.id_secret) for n, up in config.upstreams.items()}
        self.router = Router(config, mappings, targets, store)
        self.resolver = Resolver(store)
        self.metrics = Metrics(store, config.upstreams)
        self.outbox = Outbox(
            store,
            transport,
            list(targets),
            self.router.target,
            lambda name: delivery_for(config, name),
            self.metrics,
            replies_kept=config.dedupe_window,
        )
        self.admission = Admission(config, mappings, self.router, auth.Gate(config, mappings), self.metrics)

    async def handle(self, req: Incoming) -> Reply:
        found = self.admission.match(req)
        refused = self.admission.admit(req, found)
        if refused is not None:
            return self._on_wire(found[1], found[2], req, refused) if found is not None else refused
        if found is None:
            return await self._unknown_path(req)
        mapping, endpoint, params, prefix = found
        started = time.perf_counter()
        try:
            reply = await self._handle(req, mapping, endpoint, params, prefix)
        except RequestError as exc:
            reply = mapping.error(exc.status, exc.code, exc.message, getattr(exc, "violations", []), endpoint.name)
        except EncodeError as exc:
            reply = mapping.error(422, exc.code, exc.message, endpoint=endpoint.name)
        except UpstreamError as exc:
            log.warning(
                "request %s: %s %s: primary %s failed: %s",
                req.request_id,
                mapping.vendor,
                endpoint.name,
                exc.upstream,
                exc.message,
            )
            reply = self._upstream_error(mapping, exc, endpoint.name)
        except ProxyError as exc:
            status = exc.status if exc.status < 500 else 502
            reply = mapping.error(status, exc.code, exc.message, endpoint=endpoint.name)
        except Exception as exc:  # the store or the machine failed, not the client: say so in its shape
            log.exception("request %s: %s %s failed inside the proxy", req.request_id, mapping.vendor, endpoint.name)
            why = f"the proxy could not take the request now ({type(exc).__name__}); retry later"
            reply = mapping.error(503, "UNAVAILABLE", why, endpoint=endpoint.name)
            reply.headers["retry-after"] = "1"
        reply = self._on_wire(endpoint, params, req, reply)
        self.metrics.request(mapping.vendor, endpoint.name, reply.status)
        log.info(
            "request %s: %s %s %s -> %d (%.1f ms)",
            req.request_id,
            req.method,
            req.path,
            endpoint.name,
            reply.status,
            (time.perf_counter() - started) * 1000,
        )
        return reply

    @staticmethod
    def _on_wire(endpoint: CompiledEndpoint, params: dict, req: Incoming, reply: Reply) -> Reply:
        """The answer on the client's wire, where the endpoint declares one (its mapping's `wire.reply`)."""
        if endpoint.reply_wire is None:
            return reply
        return endpoint.reply_wire(reply, WireRequest(req.method, params, req.query, req.headers, req.decoded))

    async def _unknown_path(self, req: Incoming) -> Reply:
        owner = max(self.mappings.values(), key=lambda m: m.owns(req.path), default=None)
        if owner is None or owner.owns(req.path) == 0:
            return _not_found_anywhere(req)
        route = self.router.route_for(owner.vendor)
        if route is not None and route.primary is not None and route.primary.vendor == owner.vendor:
            return await self._pass_through(req, owner, route.primary)
        known = owner.path_known(req.path)
        status, message = (
            (405, f"{req.method} is not allowed on {req.path}")
            if known
            else (404, f"no endpoint at {req.method} {req.path}")
        )
        return owner.error(status, "NOT_FOUND" if status == 404 else "METHOD_NOT_ALLOWED", message)

    async def _pass_through(self, req: Incoming, mapping: VendorMapping, primary) -> Reply:
        """A path of the primary's own vendor that carries no feedback: forwarded as it is."""
        try:
            if req.read is not None:
                req.body, req.read = await req.read(), None
            reply = await forward(self.transport, primary, req, mapping.prefix_of(req.path))
        except RequestError as exc:
            return mapping.error(exc.status, exc.code, exc.message)
        except UpstreamError as exc:
            return self._upstream_error(mapping, exc)
        log.info(
            "request %s: %s %s passed through to %s -> %d",
            req.request_id,
            req.method,
            req.path,
            primary.name,
            reply.status,
        )
        return reply

    async def _handle(
        self, req: Incoming, mapping: VendorMapping, endpoint: CompiledEndpoint, params: dict, prefix: str
    ) -> Reply:
        ctx = self._reply_ctx(req)
        if endpoint.decode is None:
            return mapping.respond(endpoint, [], ctx)
        route = self.router.route_for(mapping.vendor)
        if route is None:
            raise NotFound(
                f"feedback-proxy has no route for {mapping.vendor} clients; add one under routes: in the config"
            )
        if req.read is not None:
            req.body, req.read = await req.read(), None
        raw = ingress.inflate(req.body, req.headers.get("content-encoding"), self.config.limits.max_inflated_bytes)
        if endpoint.read_body is not None:  # a wire that is not JSON: its codec reads it (spec.Wire)
            body = endpoint.read_body(raw, req.headers, self.config.limits)
        else:
            body = ingress.parse_json(raw, self.config.limits) if raw else None
        req.decoded = body
        make_id = ids.record_ids(self.config.id_secret, req.request_id, int(time.time() * 1000))
        decoding = {"request_id": req.request_id, "make_id": make_id}
        records = endpoint.decode(WireRequest(req.method, params, req.query, req.headers, body), decoding)
        ctx.update({k: decoding[k] for k in ("listed", "accepted", "rejected") if k in decoding})  # for the reply
        for rec in records:
            if rec.op in ("upsert", "comment") and rec.created_at is None:
                rec.created_at = ctx["now_iso"]  # accepted now: the answer and every later read say so
        same = route.primary is not None and route.primary.vendor == mapping.vendor
        op = records[0].op if records else None
        if op in ("read", "list") and not same:
            return self.resolver.read(mapping, endpoint, records[0], ctx, self.router.own_translate(mapping.vendor))
        key, retry = self._retry_key(req, mapping) if op not in ("read", "list") else (None, False)
        if retry:
            seen = await reading(self.store, self.store.reply_for, key, self.config.dedupe_window)
            if seen is not None:
                log.info(
                    "request %s: a repeat of an accepted request; answered as before, nothing sent", req.request_id
                )
                return replies.load(seen)
        resolved = await reading(self.store, self.resolver.resolve, records, not same)
        if any(isinstance(r, Span) for r in resolved):  # their ids, where the route's upstreams take them as they are
            await reading(self.store, self.router.alias, route, resolved)
        # made just now: no upstream has named them (a keyed record's id another request may have made)
        fresh = frozenset(r.id for r in records if isinstance(r, Assessment) and not r.origin.get("keyed"))
        writes = Writes()  # committed with every other request's in flight, before the answer
        later: list[Assessment] = []  # what a translated primary did not take (a partial failure)
        if same:
            reply = await forward(self.transport, route.primary, req, prefix)
            keys = self.resolver.keys_from_primary(mapping, endpoint, reply, resolved)
        elif route.primary is not None:
            later = await send_translated(
                self.transport,
                route.primary,
                resolved,
                route.untranslatable,
                req.request_id,
                writes,
                self.outbox.commit,
                fresh,
            )
            reply, keys = self._synthesized(mapping, endpoint, resolved, records, ctx), None
        else:
            reply, keys = self._synthesized(mapping, endpoint, resolved, records, ctx), None
        if reply.status < 300 and op not in ("read", "list"):  # a read changes nothing to mirror
            self.resolver.remember(resolved, keys, writes)
            self.outbox.stage(route.mirrors, resolved, req.request_id, route.index, writes, fresh)
            if later:
                self.outbox.stage((route.primary,), later, req.request_id, route.index, writes, fresh)
            if key:
                writes.replies.append((key, replies.dump(reply)))
            await self.outbox.settle(writes)  # from here on the proxy owns delivery
        return reply

    def _retry_key(self, req: Incoming, mapping: VendorMapping) -> tuple[str | None, bool]:
        """(the key a POST's answer is kept under, whether this one is a retry: answered from it).
        Only a POST creates: PUT, PATCH and DELETE may be repeated, and mean the same each time.
        A retry is what the client marks as one (its vendor's mapping, `retries`): the same
        idempotency key; an attempt count past the first; or, for an SDK that retries creates
        unmarked, the same request. Else an identical POST is a new call, as the vendor takes it."""
        if not self.config.dedupe_window or req.method != "POST":
            return None, False
        marks = mapping.spec.retries
        credential = req.headers.get(mapping.spec.auth.header.lower())
        own_key = req.headers.get(marks.key_header) if marks.key_header else None
        if own_key:
            return replies.request_key(mapping.vendor, req.method, req.path, "", own_key.encode(), credential), True
        attempt = req.headers.get(marks.count_header) if marks.count_header else None
        if attempt is None and not marks.unmarked:
            return None, False
        key = replies.request_key(mapping.vendor, req.method, req.path, req.raw_query, req.body, credential)
        return key, attempt is None or attempt.strip() != "0"

    def _synthesized(
        self, mapping, endpoint, resolved: list[Assessment], records: list[Assessment], ctx: dict
    ) -> Reply:
        shown = self.resolver.as_shown(resolved, records)
        if shown:
            ctx["new_id"] = shown[0].id
            ctx["translate"] = self.router.own_translate(mapping.vendor)
        return mapping.respond(endpoint, shown, ctx)

    def _reply_ctx(self, req: Incoming) -> dict:
        """What a reply may read besides the records: `header.<name>` reads the request's headers."""
        return {"now_iso": now_iso(), "url": req.url, "request_id": req.request_id, "header": req.headers}

    def _upstream_error(self, mapping: VendorMapping, exc: UpstreamError, endpoint: str | None = None) -> Reply:
        got = exc.status_received
        if got is not None and 400 <= got < 500 and got != 401:
            reply = mapping.error(got, "UPSTREAM_REJECTED", exc.message, endpoint=endpoint)
        else:
            reply = mapping.error(502, "UPSTREAM_ERROR", exc.message, endpoint=endpoint)
        if exc.retry_after is not None:
            reply.headers["retry-after"] = str(int(exc.retry_after))
        return reply


def _not_found_anywhere(req: Incoming) -> Reply:
    """A path no vendor's mapping owns (`owns:`) has no vendor's error shape to take: the proxy
    answers in its own, the HTTP framework's 404 body (`detail`) with the status as `code` and
    what was asked as `message`. Every SDK's own paths fall under its vendor's `owns:`, so only a
    client pointed at the wrong base URL gets here: it goes by the status; the body says why."""
    return Reply(404, {"detail": "Not Found", "code": 404, "message": f"no endpoint at {req.method} {req.path}"})
