"""Operator commands on the store: outbox depth, dead letters (list, show, replay, drop).

The CLI prints these as text; the operator UI's JSON API (proxy/ui/) returns the same
rows as data: one reading of the store for both."""

from __future__ import annotations

import json
import time

from .store import Outbox, codec

LETTERS_MAX = 100000


def queues(store: Outbox, upstreams: list[str] | None = None, dead_limit: int = LETTERS_MAX) -> dict[str, dict]:
    """Per upstream: records waiting, when the oldest was accepted, dead letters (counted up to
    `dead_limit` each when the upstreams are named, else up to `dead_limit` in all)."""
    depth = store.depth()
    if upstreams is None:
        dead: dict[str, int] = {}
        for d in store.dead_letters(limit=dead_limit):
            dead[d.upstream] = dead.get(d.upstream, 0) + 1
    else:
        dead = {name: len(store.dead_letters(name, dead_limit)) for name in upstreams}
    out = {name: {"waiting": count, "oldest": oldest, "dead": 0} for name, (count, oldest) in depth.items()}
    for name, count in dead.items():
        if count:
            out.setdefault(name, {"waiting": 0, "oldest": None, "dead": 0})["dead"] = count
    return out


def outbox(store: Outbox) -> str:
    rows = queues(store)
    if not rows:
        return "outbox empty, no dead letters"
    now = time.time()
    lines = [f"{'upstream':<16} {'waiting':>8} {'oldest':>10} {'dead':>6}"]
    for name in sorted(rows):
        row = rows[name]
        age = f"{now - row['oldest']:.1f}s" if row["oldest"] else "-"
        lines.append(f"{name:<16} {row['waiting']:>8} {age:>10} {row['dead']:>6}")
    return "\n".join(lines)


def letter(d) -> dict:
    """A dead letter as data: what `dead-letters show` prints, and what the UI shows."""
    return {
        "id": d.id,
        "upstream": d.upstream,
        "request_id": d.request_id,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "last_error": d.last_error,
        "record": json.loads(codec.dump(d.record)),
    }


def settle(store: Outbox, action: str, ids: list[int]) -> int:
    """Replay (back to the outbox, attempts from zero) or drop dead letters; how many there were."""
    if action not in ("replay", "drop"):
        raise ValueError(f"no dead-letter action {action!r}")
    if not ids:
        return 0
    return store.replay(ids) if action == "replay" else store.drop(ids)


def usage(action: str) -> str:
    """What `dead-letters show|replay|drop` with neither ids nor --all should have been given."""
    if action == "show":
        return (
            "name a dead letter id: feedback-proxy dead-letters show ID [ID ...] --config FILE "
            "(dead-letters list shows them)"
        )
    return (
        f"name dead letter ids, or --all: feedback-proxy dead-letters {action} ID [ID ...] | --all [--upstream U] "
        "--config FILE"
    )


def dead_letters(store: Outbox, action: str, ids: list[int], upstream: str | None, every: bool) -> tuple[str, int]:
    if not ids and not every and action != "list":
        return usage(action), 1
    letters = store.dead_letters(upstream, limit=LETTERS_MAX)
    none = "no dead letters" + (f" for upstream {upstream}" if upstream else "")
    chosen = [d.id for d in letters] if every else ids
    if action == "list" or (every and not letters):  # --all with nothing to do: done
        if not letters:
            return none, 0
        rows = [
            f"{d.id:>6}  {d.upstream:<12} {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(d.created_at))}  "
            f"{d.record.op} {d.record.entity} {d.record.name or ''}  attempts={d.attempts}  "
            f"{(d.last_error or '')[:100]}"
            for d in letters
        ]
        return "\n".join(rows), 0
    unknown = sorted(set(chosen) - {d.id for d in letters})
    if unknown:
        named = f"no dead letter with id {', '.join(map(str, unknown))}"
        return named + (f" for upstream {upstream}" if upstream else ""), 1
    if action == "show":
        return "\n".join(json.dumps(letter(d), indent=2) for d in letters if d.id in set(chosen)), 0
    n = settle(store, action, chosen)
    return f"{'replayed' if action == 'replay' else 'dropped'} {n} dead letter(s)", 0
