"""The proxy's configuration: YAML with ${ENV} interpolation, validated by pydantic.

    upstreams:
      opik:  {vendor: opik,  base_url: "http://127.0.0.1:5173/api", headers: {Authorization: "${OPIK_API_KEY:-}"}}
    routes:
      - from: tracia          # the client's vendor format, or "*"
        primary: opik         # optional: synchronous; its answer shapes the reply
        mirrors: [scale]      # optional: delivered as well
        overrides: {scale: [ {endpoint: create, accepts: ..., body: ...} ]}

Errors name the file, line and key (`config.yaml:7:5: routes::0::primary: ...`).
"""

from __future__ import annotations

import os
import re
from functools import partial
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from . import yamlsrc
from .errors import ConfigError
from .opsconfig import Admin, Log

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Retry(Strict):
    initial_interval: float = Field(5.0, gt=0)
    multiplier: float = Field(1.5, ge=1)
    max_interval: float = Field(30.0, gt=0)
    max_elapsed: float = Field(300.0, gt=0, description="give up (dead letter) after trying this long")
    max_attempts: int | None = Field(None, ge=1)


class BreakerSettings(Strict):
    failures: int = Field(5, ge=1, description="failures in a row that open the circuit")
    cooldown: float = Field(30.0, ge=0, description="seconds before one probe is let through")


class Delivery(Strict):
    batch_max: int = Field(1000, ge=1, le=1000, description="records claimed and encoded together")
    linger_ms: float = Field(5.0, ge=0)
    concurrency: int = Field(4, ge=1, description="requests in flight to one upstream")
    lease_seconds: float = Field(
        30.0, gt=0, description="how long a claimed record is held before another worker may take it"
    )
    poll_interval: float = Field(1.0, gt=0)
    park_ttl: float = Field(
        600.0, ge=0, description="how long a record lacking a field (a score before its span) waits for it"
    )
    retry: Retry = Retry()
    breaker: BreakerSettings = BreakerSettings()


class Upstream(Strict):
    vendor: str
    base_url: str
    headers: dict[str, str] = {}
    timeout: float = Field(10.0, gt=0, description="seconds for one request to this upstream")
    delivery: Delivery | None = None  # overrides the top-level delivery settings for this upstream
    options: dict[str, Any] = {}  # what its vendor's codec reads when it writes a request (spec.Wire.send)

    @model_validator(mode="after")
    def _url(self):
        if not re.match(r"^https?://[^/]+", self.base_url):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        self.base_url = self.base_url.rstrip("/")
        return self


class Route(Strict):
    src: str = Field(alias="from")
    primary: str | None = None
    mirrors: list[str] = []
    overrides: dict[str, list[dict]] = {}  # upstream name -> encode cases tried before the mapping's
    untranslatable: Literal["reject", "drop"] = "reject"  # a record the primary cannot hold
    name: str | None = None  # how `clients[].routes` names this route (else by its index)
    # Multi-tenant pass-through: a same-vendor primary gets the client's own credentials
    # (and the tenant headers it sent) instead of the upstream's configured ones.
    forward_client_credentials: bool = False


class Client(Strict):
    """A caller the proxy lets in. Its key is read from the header where its vendor's
    SDK puts its own key (the mapping's `auth`); only the key's SHA-256 is kept."""

    name: str = Field(min_length=1)
    key: str | None = Field(None, repr=False)  # write `key: "${APP_KEY}"`: the key itself never sits in the file
    key_sha256: str | None = Field(None, repr=False, pattern=r"^[0-9a-fA-F]{64}$")
    routes: list[str | int] | None = None  # route names (or indexes) it may use; none: every route
    vendors: list[str] | None = None  # vendor formats it may speak; none: every one
    # keys it may present the scoped way its vendor's mapping allows (`auth.scoped`: Langfuse's
    # Bearer public key, taken for scores only)
    scoped_keys: list[str] = Field(default_factory=list, repr=False)

    @model_validator(mode="after")
    def _one_key(self):
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError(f"client {self.name!r} needs exactly one of key or key_sha256")
        if self.key is not None and len(self.key.strip()) < 8:
            raise ValueError(f"client {self.name!r}: key is empty or shorter than 8 characters")
        return self


class Limits(Strict):
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)
    max_inflated_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="after gzip/deflate: a bomb stops inflating here"
    )
    max_items: int = Field(1000, ge=1, description="items in any one JSON array (a vendor's batch holds up to 1000)")
    max_string_length: int = Field(1024 * 1024, ge=1, description="characters in any one JSON string or key")
    max_depth: int = Field(32, ge=1, description="nesting of JSON arrays and objects")
    request_timeout: float = Field(
        30.0, gt=0, description="seconds to receive a request's body once its headers are in"
    )
    header_timeout: float = Field(10.0, gt=0, description="seconds to receive the request line and headers")
    max_header_bytes: int = Field(64 * 1024, ge=1024, description="request line and headers together")
    keep_alive_timeout: float = Field(5.0, gt=0, description="seconds an idle kept-alive connection stays open")
    max_connections: int = Field(2048, ge=1, description="connections and requests in progress; beyond that, 503")


class Server(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class Config(Strict):
    upstreams: dict[str, Upstream] = {}
    routes: list[Route] = []
    server: Server = Server()
    limits: Limits = Limits()
    store: str = "sqlite:///./data/proxy.db"
    store_sync: Literal["normal", "full"] = "normal"
    # (SQLite) how long a write waits for another process's lock before it fails; a delivery round
    # that fails so is logged and tried again, and /readyz says not ready meanwhile
    store_busy_timeout: float = Field(30.0, gt=0)
    delivery: Delivery = Delivery()
    dedupe_window: float = Field(
        300.0, ge=0, description="seconds a repeated request gets the first one's answer (0: off)"
    )
    id_secret: str = "feedback-proxy"  # key of the hash that derives one vendor's ids from another's
    mappings_dir: str | None = None
    log_level: str = "info"
    log: Log | None = None  # level and format (json, human, auto); proxy/opsconfig.py
    admin: Admin | None = None  # the operator UI's key; none: /ui is off
    clients: list[Client] | None = None  # who may call; none: anyone (on loopback only, unless allow_anonymous)
    allow_anonymous: bool = False  # listen on a non-loopback address with no clients: section
    _where: object = PrivateAttr(default=None)  # loc -> "file:line:col", from the YAML it was loaded from

    def where(self, loc: tuple) -> str:
        """file:line:col of the key at `loc` (("upstreams", "opik", "vendor")) in the file it came from."""
        return self._where(loc) if self._where is not None else "::".join(map(str, loc))


def client_problems(cfg: Config) -> list[tuple[tuple, str]]:
    """(location, message) for a clients: section that cannot work as written."""
    out: list[tuple[tuple, str]] = []
    if cfg.clients is not None and not cfg.clients:
        out.append(
            (
                ("clients",),
                "clients: is empty, so no one could call; remove it to accept any caller (on loopback), or name a "
                "client",
            )
        )
    names = {r.name: i for i, r in enumerate(cfg.routes) if r.name}
    seen: set[str] = set()
    for i, client in enumerate(cfg.clients or []):
        if client.name in seen:
            out.append((("clients", i, "name"), f"clients::{i}::name: client {client.name!r} is named twice"))
        seen.add(client.name)
        for j, ref in enumerate(client.routes or []):
            known = ref in names or (isinstance(ref, int) and 0 <= ref < len(cfg.routes))
            if not known:
                listed = ", ".join(names) or "none"
                out.append(
                    (
                        ("clients", i, "routes", j),
                        f"clients::{i}::routes::{j}: no route {ref!r}; named routes: {listed} (or an index below "
                        f"{len(cfg.routes)})",
                    )
                )
    for i, route in enumerate(cfg.routes):
        if route.forward_client_credentials and route.primary is None:
            out.append(
                (
                    ("routes", i, "forward_client_credentials"),
                    f"routes::{i}::forward_client_credentials: the route has no primary to forward them to",
                )
            )
    return out


def delivery_for(cfg: Config, upstream: str) -> Delivery:
    return cfg.upstreams[upstream].delivery or cfg.delivery


def broken_references(cfg: Config) -> list[tuple[tuple, str]]:
    """(location, message) for every route that names an upstream that is not configured."""
    out = []
    known = ", ".join(cfg.upstreams) or "none"
    for i, route in enumerate(cfg.routes):
        named = (
            [("primary", route.primary)]
            + [(("mirrors", j), n) for j, n in enumerate(route.mirrors)]
            + [(("overrides", n), n) for n in route.overrides]
        )
        for key, name in named:
            if name is not None and name not in cfg.upstreams:
                loc = ("routes", i, *(key if isinstance(key, tuple) else (key,)))
                out.append((loc, f"{'::'.join(map(str, loc))}: upstream {name!r} is not configured; known: {known}"))
    return out


def interpolate(text: str, env: dict[str, str] | None = None, file: str = "") -> str:
    """${NAME} and ${NAME:-default}, outside YAML comments; an unset ${NAME} without a default
    is an error naming its line."""
    env = os.environ if env is None else env
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        code, comment = split_comment(line)
        lines[number - 1] = _ENV.sub(partial(_variable, env, file, number), code) + comment
    return "\n".join(lines)


def _variable(env, file: str, number: int, m: re.Match) -> str:
    """The value of one ${NAME} or ${NAME:-default} on line `number`."""
    name, default = m.group(1), m.group(2)
    if name in env:
        return env[name]
    if default is not None:
        return default
    raise ConfigError(
        f"environment variable {name} is not set (write ${{{name}:-}} for an empty default)", file=file, line=number
    )


def split_comment(line: str) -> tuple[str, str]:
    """A YAML line as (what it says, its comment): a comment starts at a `#` at the start of the
    line or after a space or tab, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and not (quote == '"' and line[i - 1] == "\\"):
                quote = None
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{:,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i:]
    return line, ""


def load(path: str | Path, env: dict[str, str] | None = None) -> Config:
    path = Path(path)
    try:
        raw = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", file=str(path)) from None
    text = interpolate(raw, env, str(path))
    data, where = yamlsrc.load(text, str(path))
    try:
        cfg = Config.model_validate(data or {})
    except ValidationError as exc:
        yamlsrc.raise_located(exc, where, str(path))
    for loc, message in broken_references(cfg) + client_problems(cfg):
        raise ConfigError(f"{where(loc)}: {message}")
    cfg._where = where
    return cfg


def unknown_vendors(cfg: Config, known) -> list[str]:
    """Located errors for every upstream whose vendor has no mapping among `known`."""
    names = ", ".join(sorted(known))
    return [
        f"{cfg.where(('upstreams', name, 'vendor'))}: upstreams::{name}::vendor: no mapping for vendor "
        f"{up.vendor!r}; known: {names}"
        for name, up in cfg.upstreams.items()
        if up.vendor not in known
    ]
