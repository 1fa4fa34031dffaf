"""`feedback-proxy backfill --config FILE --from UPSTREAM --to UPSTREAM [--project P]
[--since DATE] [--until DATE] [--dry-run] [--queue-only] [--restart] [--quiet]`."""

from __future__ import annotations

import asyncio
import logging
import shlex
from datetime import UTC, datetime
from pathlib import Path

from .. import config as config_mod
from ..errors import ConfigError
from ..mapping import load_all
from ..store import open_store
from ..upstream import open_transport


def add_parser(sub) -> None:
    p = sub.add_parser("backfill", help="read an upstream's history through its API and deliver it to another upstream")
    p.add_argument("--config", required=True)
    p.add_argument("--from", dest="src", required=True, help="the upstream to read history from")
    p.add_argument("--to", dest="dst", required=True, help="the upstream to deliver it to")
    p.add_argument("--project", help="the source's project, as its history mapping reads it (ctx.project)")
    p.add_argument("--since", type=iso, help="read what happened from this date or time (ISO 8601, UTC if no zone)")
    p.add_argument("--until", type=iso, help="...up to this one (default: when the job first ran)")
    p.add_argument(
        "--dry-run", action="store_true", help="write nothing: print what would be written, and what would be lost"
    )
    p.add_argument(
        "--queue-only",
        action="store_true",
        help="commit to the outbox and exit: a running serve on the same store delivers",
    )
    p.add_argument("--restart", action="store_true", help="forget this job's checkpoint and read from the start")
    p.add_argument("--quiet", action="store_true", help="no progress bar; only the summary")


def resume_command(args) -> str:
    """The command that resumes this job: the same job (source, target, project, since, until)
    and the same way of running it; never --restart."""
    words = ["feedback-proxy", "backfill", "--config", args.config, "--from", args.src, "--to", args.dst]
    for flag, value in (("--project", args.project), ("--since", args.since), ("--until", args.until)):
        if value:
            words += [flag, value]
    words += [flag for flag, on in (("--queue-only", args.queue_only), ("--quiet", args.quiet)) if on]
    return shlex.join(words)


def iso(text: str) -> str:
    """A date or a time, as ISO 8601 in UTC: `2026-01-01` -> `2026-01-01T00:00:00Z`."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {text!r}") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def backfill(args) -> int:
    from . import render
    from .dryrun import DryStore
    from .job import Job
    from .progress import ProgressView, QuietView
    from .run import run

    cfg = config_mod.load(args.config)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.since and args.until and args.since >= args.until:
        raise ConfigError(f"--since {args.since} is not before --until {args.until}")
    mappings = load_all(Path(cfg.mappings_dir) if cfg.mappings_dir else None)
    job = Job(args.src, args.dst, args.project, args.since, args.until, args.dry_run, args.queue_only, args.restart)
    store = open_store(cfg.store, cfg.store_sync)
    view = QuietView() if args.quiet else ProgressView()

    async def go():
        transport = open_transport()
        try:
            return await run(job, cfg, mappings, DryStore(store) if job.dry_run else store, transport, view)
        finally:
            await transport.close()

    try:
        out = asyncio.run(go())
        if job.dry_run:  # its loss reports read the store: before it is closed
            print(render.dry_run(out))
        print(render.summary(out, resume_command(args)))
    finally:
        getattr(store, "close", lambda: None)()
    return 0 if out.ok else 1
