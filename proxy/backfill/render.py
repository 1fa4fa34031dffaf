"""The back-fill's summary, and a dry run's sample of what would be written, as text."""

from __future__ import annotations

import json

from ..mapping.explain import explain, render
from .run import Outcome

LOSSES_SHOWN = 40


def summary(out: Outcome, resume: str | None = None) -> str:
    """The run's summary; `resume`: the command that resumes it, said when it stopped early."""
    bf, t = out.backfill, out.backfill.tally
    job, cp = bf.job, bf.checkpoint
    window = f"{job.since or 'the start'} .. {cp.until or 'now'}"
    head = (
        f"back-fill {job.source} ({bf.source.vendor}) -> {job.target} ({bf.target.vendor}), project "
        f"{job.project or '(none given)'}, {window}"
    )
    lines = [
        f"{head}: {out.status}"
        + (
            f" ({out.seconds:.1f} s" + (f", run {cp.runs})" if not job.dry_run else ")")
            if out.status != "already complete"
            else ""
        )
    ]
    if out.resumed:
        lines.append(f"  resumed at   {out.resumed}")
    if out.error:
        lines.append(f"  stopped by   {out.error}")
    lines.append(
        f"  read         {_counts(t.items) or 'nothing'} in {t.pages:,} page(s)"
        + (f" (the source has {t.total:,})" if t.total else "")
    )
    lines.append(f"  records      {_counts(t.records) or 'none'}")
    would = "would be " if job.dry_run else ""
    lines.append(f"  {'to write' if job.dry_run else 'queued':<12} {t.queued:,} for {job.target}")
    if not job.dry_run and out.elsewhere:
        lines.append(
            f"  written      {t.written + out.elsewhere:,} to {job.target}: {t.written:,} by this back-fill, "
            f"{out.elsewhere:,} by another process on this store (a serve)"
        )
    elif not job.dry_run:
        lines.append(f"  written      {t.written:,} to {job.target}")
    lines.append(
        f"  present      {t.present:,} already at {job.target} as they are (live mirroring or an earlier run got there "
        f"first): {would}skipped"
    )
    lines.append(f"  not carried  {sum(t.not_carried.values()):,}" + _reasons(t.not_carried))
    lines.append(f"  unreadable   {sum(t.unreadable.values()):,}" + _reasons(t.unreadable))
    if not job.dry_run:
        lines.append(f"  waiting      {out.waiting:,} in the outbox for {job.target}" + _waiting_note(out))
        if out.abandoned:
            lines.append(
                f"  cut off      {out.abandoned:,} send(s) under way at the second Ctrl-C: their records stay "
                f"queued, and the resume sends them again (a create {job.target} took before the cut and "
                "cannot be read back is then written twice: README, Back-fill)"
            )
        lines.append(
            f"  dead letters {t.dead:,}"
            + (f" (feedback-proxy dead-letters list --upstream {job.target} --config ...)" if t.dead else "")
        )
    lines += _losses(t)
    lines += ["  notes:"] + [f"    - {n}" for n in bf.history.notes] if bf.history.notes else []
    if out.status in ("interrupted", "stopped"):
        lines.append("  the same command resumes from the last page committed" + (f":\n    {resume}" if resume else ""))
    return "\n".join(lines)


def dry_run(out: Outcome) -> str:
    """The first requests per target endpoint, and each write's loss report for its first record."""
    bf = out.backfill
    parts = [f"dry run: nothing was written; {bf.tally.queued:,} record(s) would be queued for {bf.job.target}"]
    for endpoint, requests in bf.dry.requests.items():
        parts.append(f"\n{bf.target.vendor} {endpoint}: the first {len(requests)} request(s)")
        for r in requests:
            parts.append(
                json.dumps(
                    {"method": r.method, "path": r.path, **({"query": r.query} if r.query else {}), "body": r.body},
                    default=str,
                )
            )
    for name, (_, endpoint, wire, rec, refused) in bf.dry.examples.items():
        rows = explain(endpoint, wire, [rec], bf.target, [], refused)
        parts.append(
            render(
                rows, bf.source.vendor, f"{endpoint.name} ({name}: the one read with the most fields)", bf.target.vendor
            )
        )
    return "\n".join(parts)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def _reasons(counts: dict[str, int]) -> str:
    rows = sorted(counts.items(), key=lambda kv: -kv[1])
    return "".join(f"\n      {n:>8,}  {why}" for why, n in rows[:10]) + (
        f"\n      ... and {len(rows) - 10} more" if len(rows) > 10 else ""
    )


def _waiting_note(out: Outcome) -> str:
    if not out.waiting:
        return ""
    why = f"; the last error: {out.last_error[:200]}" if out.last_error else ""
    return f": a running serve on this store, or the next run of this command, delivers them{why}"


def _losses(t) -> list[str]:
    rows = t.losses()
    if not rows:
        return ["  fields lost  none"]
    width = min(max(len(r[2]) for r in rows), 60)
    out = ["  fields lost  (how many, what, where, why):"]
    for n, status, where, why in rows[:LOSSES_SHOWN]:
        out.append(f"      {n:>8,}  {status:<8} {where:<{width}}  {why}")
    if len(rows) > LOSSES_SHOWN:
        out.append(f"      ... and {len(rows) - LOSSES_SHOWN} more")
    return out
