"""feedback-proxy serve | check | translate | outbox | dead-letters | backfill | fake-upstream."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import config as config_mod
from . import vendors
from .backfill import command as backfill_command
from .errors import ConfigError, ProxyError
from .mapping import explain, load_all


def main(argv: list[str] | None = None) -> int:
    try:
        known = vendors.names()  # the vendor folders, built-in and FEEDBACK_PROXY_VENDORS's
    except ConfigError as exc:
        print(f"feedback-proxy: {exc.message}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="feedback-proxy", description="Translate LLM-feedback APIs between the vendors of proxy/vendors/."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the proxy")
    p.add_argument("--config", required=True)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--fake-upstreams",
        action="store_true",
        help="also run a local fake of every upstream whose base_url is on 127.0.0.1",
    )
    p.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port and the store (README, Deployment)"
    )
    p = sub.add_parser("check", help="validate a config and the mappings it uses")
    p.add_argument("--config", required=True)
    p = sub.add_parser("translate", help="translate a request body read on stdin; no network")
    p.add_argument("--from", dest="src", required=True, help="the client's vendor")
    p.add_argument("--to", dest="dst", required=True, help="the upstream's vendor")
    p.add_argument(
        "--endpoint", help="the source endpoint (default: matched from an envelope's path, else the vendor's first)"
    )
    p.add_argument(
        "--explain", action="store_true", help="say, field by field, where each input field went and what was lost"
    )
    p.add_argument("--config", help="take mappings_dir and id_secret from this config")
    p = sub.add_parser("outbox", help="records waiting per upstream, oldest age, dead letters")
    p.add_argument("--config", required=True)
    p = sub.add_parser("dead-letters", help="list, show, replay or drop dead letters")
    p.add_argument("action", choices=["list", "show", "replay", "drop"])
    p.add_argument("ids", nargs="*", type=int)
    p.add_argument("--config", required=True)
    p.add_argument("--upstream")
    p.add_argument("--all", action="store_true", help="every dead letter (of --upstream)")
    backfill_command.add_parser(sub)
    p = sub.add_parser("fake-upstream", help="run a local fake vendor that records what it receives")
    p.add_argument("--vendor", required=True, choices=known)
    p.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        commands = {
            "serve": serve,
            "check": check,
            "translate": translate,
            "outbox": outbox,
            "dead-letters": dead_letters,
            "fake-upstream": fake_upstream,
            "backfill": backfill_command.backfill,
        }
        return commands[args.command](args)
    except ConfigError as exc:
        print(f"feedback-proxy: {exc.message}", file=sys.stderr)
        return 2
    except ProxyError as exc:
        print(f"feedback-proxy: {exc.message}", file=sys.stderr)
        return 1


def serve(args) -> int:
    from . import malloc_arenas

    malloc_arenas.limit()  # first, before any thread allocates (and for the forked workers too)

    import uvicorn

    from . import logs, serving
    from .app import create_app

    cfg, mappings, _ = validated(args.config)  # as `check` does, before anything starts
    logs.configure_from(cfg)  # JSON lines, or human ones on a terminal (proxy/logs.py)
    host, port = args.host or cfg.server.host, args.port if args.port is not None else cfg.server.port
    for line in anonymous_check(cfg, host, args.config):
        logging.getLogger("proxy").warning(line)
    if args.workers > 1:
        from .supervisor import serve_workers

        return serve_workers(cfg, mappings, host, port, args.workers, args.fake_upstreams)
    if args.fake_upstreams:
        from .testing import start_fakes

        start_fakes(cfg)
    app = create_app(cfg, mappings=mappings)
    uvicorn.run(app, **serving.uvicorn_options(cfg, host, port))
    return 0


def anonymous_check(cfg, host: str, file: str) -> list[str]:
    """The loud lines about a config with no clients: section; raises when it would
    listen beyond loopback without `allow_anonymous: true`."""
    from .auth import anonymous_warning, is_loopback

    if cfg.clients is None and not is_loopback(host) and not cfg.allow_anonymous:
        raise ConfigError(
            f"{file}: refusing to listen on {host} with no clients: section: any caller could send feedback "
            "through the upstreams' credentials. Add clients: (README, Security), listen on 127.0.0.1, "
            "or set allow_anonymous: true"
        )
    warning = anonymous_warning(cfg, host)
    if warning is None:
        return []
    bar = "!" * 78
    return [bar, warning, bar]


def validated(path: str):
    """The config and the mappings it uses, validated as `check` and `serve` both do: the config's
    own rules, a mapping for every upstream's vendor, every route, override and client compiled,
    and the back-fill history files. (config, mappings, the vendors with a history file)."""
    from .backfill.writes import check_histories
    from .pipeline import Proxy
    from .store import MemoryStore
    from .upstream import MockTransport

    cfg = config_mod.load(path)
    mappings = load_all(Path(cfg.mappings_dir) if cfg.mappings_dir else None)
    for problem in config_mod.unknown_vendors(cfg, mappings):
        raise ConfigError(problem)
    Proxy(cfg, mappings, MemoryStore(), MockTransport(lambda *a: None))  # compiles routes, overrides and clients
    return cfg, mappings, check_histories(mappings, cfg.mappings_dir)


def check(args) -> int:
    cfg, mappings, histories = validated(args.config)
    for line in anonymous_check(cfg, cfg.server.host, args.config):
        print(f"feedback-proxy: WARNING: {line}" if not line.startswith("!") else line, file=sys.stderr)
    print(
        f"{args.config}: ok ({len(cfg.upstreams)} upstreams, {len(cfg.routes)} routes; mappings: "
        f"{', '.join(sorted(mappings))}; "
        f"back-fill histories: {', '.join(histories) or 'none'})"
    )
    if cfg.clients is not None:
        print(f"{args.config}: {len(cfg.clients)} client(s) may call: {', '.join(c.name for c in cfg.clients)}")
    return 0


def translate(args) -> int:
    from .translate import translate as run

    cfg = config_mod.load(args.config) if args.config else None
    mappings = load_all(Path(cfg.mappings_dir) if cfg and cfg.mappings_dir else None)
    try:
        payload = json.loads(sys.stdin.read() or "null")
    except ValueError as exc:
        raise ConfigError(f"stdin is not JSON: {exc}") from None
    result = run(
        mappings, args.src, args.dst, payload, args.endpoint, secret=cfg.id_secret if cfg else "feedback-proxy"
    )
    out = {
        "from": f"{result.source} {result.endpoint}",
        "to": result.target,
        "requests": [
            {
                "method": r.method,
                "path": r.path,
                **({"query": r.query} if r.query else {}),
                "body": _as_sent(mappings[args.dst], r),
            }
            for r in result.requests
        ],
        "refused": [{"record": f"{rec.op} on a {rec.entity}", "why": why} for rec, why in result.refused],
    }
    print(json.dumps(out, indent=2, default=str))
    if args.explain:
        print(explain.render(result.report, result.source, result.endpoint, result.target))
    return 0


def _as_sent(mapping, req):
    """A request's body as the upstream would get it: JSON, or where the vendor's wire is not JSON
    (a mapping's wire.send), its JSON form (e.g. OTLP JSON rather than protobuf)."""
    endpoint = mapping.endpoints.get(req.endpoint)
    if req.body is None or endpoint is None or endpoint.send_body is None:
        return req.body
    try:
        return json.loads(endpoint.send_body(req.body, {"encoding": "json"})[0])
    except (ProxyError, ValueError, TypeError):
        return req.body


def _store(args):
    """The config's store, and a note when it does not exist yet: then an empty one in memory
    stands for it, and nothing is created where the command runs."""
    from .store import MemoryStore, missing, open_store

    cfg = config_mod.load(args.config)
    absent = missing(cfg.store)
    if absent:
        return MemoryStore(), f"no store yet at {absent} ({cfg.store}): "
    return open_store(cfg.store, cfg.store_sync, cfg.store_busy_timeout), ""


def outbox(args) -> int:
    from . import admin

    store, note = _store(args)
    print(note + admin.outbox(store))
    return 0


def dead_letters(args) -> int:
    from . import admin

    if not args.ids and not args.all and args.action != "list":  # before the store is opened
        print(admin.usage(args.action), file=sys.stderr)
        return 1
    store, note = _store(args)
    text, code = admin.dead_letters(store, args.action, args.ids, args.upstream, args.all)
    print(note + text, file=sys.stderr if code else sys.stdout)
    return code


def fake_upstream(args) -> int:
    import uvicorn

    from .testing import FakeVendor, listening_socket

    try:
        sock = listening_socket(args.port)
    except OSError as exc:
        raise ProxyError(
            f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}): no fake {args.vendor} upstream started"
        ) from None
    print(f"fake {args.vendor} upstream on http://127.0.0.1:{args.port}", file=sys.stderr)
    uvicorn.Server(uvicorn.Config(FakeVendor(args.vendor).app, log_level="warning")).run(sockets=[sock])
    return 0
