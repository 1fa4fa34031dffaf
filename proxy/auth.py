"""Who may call the proxy, and with which key.

    gate = Gate(config, mappings)                 # clients compiled once
    client = gate.authenticate(mapping.spec.auth, headers, vendor, route_index)
    # -> the Client, None when the proxy is anonymous, or raises Unauthorized / Forbidden

The key is read from the header where the vendor's own SDK puts its key (the
mapping's `auth: {header, scheme}`), so a legacy SDK needs only its base URL and
key changed. Only SHA-256 digests of the keys are kept, and the presented key's
digest is compared with every client's with `hmac.compare_digest`, all of them
every time: how long a refusal takes says nothing about which key came close.
Knows no vendor by name.

`secrets_of(config)` lists every secret the config holds (client keys, upstream
credentials) so `Redactor` can keep them out of logs and error bodies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .config import Config
from .errors import ConfigError, Forbidden, Unauthorized
from .mapping.spec import Auth


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    digest: bytes = b""
    routes: frozenset[int] | None = None  # route indexes it may use; None: all
    vendors: frozenset[str] | None = None  # vendor formats it may speak; None: all
    scoped: tuple[bytes, ...] = ()  # digests of the keys it may present the scoped way (the mapping's auth.scoped)

    def __repr__(self) -> str:  # the digest stays out of every repr
        return f"Client({self.name!r})"


class Gate:
    def __init__(self, config: Config, mappings: Iterable[str]):
        self.anonymous = config.clients is None
        by_name = {r.name: i for i, r in enumerate(config.routes) if r.name}
        self._labels = [r.name or f"#{i}" for i, r in enumerate(config.routes)]
        known = set(mappings)
        self._clients: list[Client] = []
        for i, c in enumerate(config.clients or []):
            for v in c.vendors or []:
                if v not in known:
                    raise ConfigError(
                        f"clients[{i}].vendors: no vendor format {v!r}; known: {', '.join(sorted(known))}"
                    )
            routes = None
            if c.routes is not None:
                missing = [
                    r for r in c.routes if r not in by_name and not (isinstance(r, int) and 0 <= r < len(config.routes))
                ]
                if missing:
                    raise ConfigError(
                        f"clients[{i}].routes: no route {missing[0]!r}; named routes: {', '.join(by_name) or 'none'}"
                    )
                routes = frozenset(by_name[r] if r in by_name else r for r in c.routes)
            digest = _digest(c.key) if c.key is not None else bytes.fromhex(c.key_sha256)
            if any(hmac.compare_digest(digest, other.digest) for other in self._clients):
                raise ConfigError(f"clients[{i}]: client {c.name!r} has the same key as another client")
            vendors = frozenset(c.vendors) if c.vendors is not None else None
            self._clients.append(Client(c.name, digest, routes, vendors, tuple(_digest(k) for k in c.scoped_keys)))

    def authenticate(
        self, auth, headers: dict[str, str], vendor: str, route: int | None, endpoint: str | None = None
    ) -> Client | None:
        """`auth`: the mapping's {header, scheme}; `headers` with lower-case names;
        `route`: the index of the route the request would take (None: no route); `endpoint`: the
        mapping's endpoint it is for (None: a path with none), which a scoped key must be taken on."""
        scoped = auth.scoped
        if scoped is not None and _scheme(auth, headers) == scoped.scheme.lower():
            if endpoint not in scoped.endpoints:
                raise Forbidden("Access denied - insufficient permissions for this endpoint")
            if self.anonymous:
                return None
            key = presented_key(Auth(header=auth.header, scheme=scoped.scheme), headers)
            if key is None:
                raise Unauthorized("API key is not valid")
            return self._allowed(_holder(self._clients, _digest(key), scoped=True), vendor, route)
        if self.anonymous:
            return None
        key = presented_key(auth, headers)
        if key is None:
            how = f"{_title(auth.header)}: {auth.scheme} <key>" if auth.scheme else f"{_title(auth.header)}: <key>"
            raise Unauthorized(f"API key should be provided ({how})")
        return self._allowed(_holder(self._clients, _digest(key), scoped=False), vendor, route)

    def _allowed(self, found: Client, vendor: str, route: int | None) -> Client:
        if found.vendors is not None and vendor not in found.vendors:
            raise Forbidden(f"client {found.name!r} may not use the {vendor} API")
        if found.routes is not None and route not in found.routes:
            label = self._labels[route] if route is not None else "none"
            raise Forbidden(f"client {found.name!r} may not use the route {label} that {vendor} requests take")
        return found


def _holder(clients: list[Client], digest: bytes, scoped: bool) -> Client:
    """The client holding the key whose digest is `digest` (its key, or with `scoped` one of its
    scoped keys): every key of every client is compared, always, each in constant time; none: 401."""
    found = None
    for client in clients:
        for held in client.scoped if scoped else (client.digest,):
            if hmac.compare_digest(held, digest) and found is None:
                found = client
    if found is None:
        raise Unauthorized("API key is not valid")
    return found


def _scheme(auth, headers: dict[str, str]) -> str:
    """The scheme (lower case) of the key in the vendor's header, or ""."""
    return (headers.get(auth.header.lower()) or "").strip().partition(" ")[0].lower()


def presented_key(auth, headers: dict[str, str]) -> str | None:
    """The key in the vendor's header, with its scheme (e.g. `Bearer `) taken off; None if absent."""
    value = (headers.get(auth.header.lower()) or "").strip()
    if auth.scheme:
        scheme, _, value = value.partition(" ")
        if scheme.lower() != auth.scheme.lower():
            return None
        value = value.strip()
    if value and auth.basic:  # base64(user:password): the half the mapping names is the key
        try:
            user, colon, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        value = (password if auth.basic == "password" else user) if colon else ""
    return value or None


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def anonymous_warning(config: Config, host: str) -> str | None:
    """What `serve` and `check` say, loudly, about a proxy with no clients: section."""
    if config.clients is not None:
        return None
    where = "on loopback only" if is_loopback(host) else f"on {host}, because allow_anonymous: true"
    return (
        f"NO CLIENT AUTHENTICATION: the config has no clients: section, so the proxy accepts ANY caller ({where}). "
        "Add clients: with a key per application (see README, Security)."
    )


# --- keeping secrets out of logs and error bodies ------------------------------

_CREDENTIAL_HEADER = re.compile(r"(authorization|api[-_]?key|token|secret|password|cookie)", re.I)
_MIN_SECRET = 8  # shorter values are too likely to be ordinary words to be cut from text


def secrets_of(config: Config, auth_headers: Iterable[str] = ()) -> set[str]:
    """Every client key (in plain text), the admin key and every upstream credential the config holds."""
    names = {h.lower() for h in auth_headers}
    out: set[str] = set()
    for c in config.clients or []:
        if c.key:
            out.add(c.key.strip())
    if config.admin is not None and config.admin.key:
        out.add(config.admin.key.strip())  # the operator UI's key (proxy/opsconfig.py)
    for up in config.upstreams.values():
        for name, value in up.headers.items():
            if name.lower() in names or _CREDENTIAL_HEADER.search(name):
                out.add(value.strip())
                scheme, _, rest = value.strip().partition(" ")
                if rest and scheme.isalpha():
                    out.add(rest.strip())  # the key without its "Bearer "
    return {s for s in out if len(s) >= _MIN_SECRET}


class Redactor:
    """Replaces known secrets in text. Installed on log records by `install_log_redaction`."""

    MASK = "[redacted]"

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self._ordered: list[str] = []

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets |= {s for s in secrets if len(s) >= _MIN_SECRET}
        self._ordered = sorted(self.secrets, key=len, reverse=True)  # "Bearer k" before "k"

    def text(self, text: str) -> str:
        for s in self._ordered:
            if s in text:
                text = text.replace(s, self.MASK)
        return text

    def data(self, value):
        """A JSON-like value with every secret cut out of its strings."""
        if not self._ordered:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (bytes, bytearray)):
            raw = bytes(value)
            for s in self._ordered:
                raw = raw.replace(s.encode(), self.MASK.encode())
            return raw
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value


REDACTOR = Redactor()
_installed = False


def install_log_redaction(secrets: Iterable[str]) -> None:
    """Every log record made from now on has these secrets cut from its message
    (whatever logger, whatever handler: a record factory, installed once)."""
    global _installed
    REDACTOR.add(secrets)
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if REDACTOR.secrets:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: leave it to the handler to report
                return record
            clean = REDACTOR.text(message)
            if clean != message:
                record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(factory)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.strip().encode("utf-8", "surrogateescape")).digest()


def _title(header: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in header.split("-"))
