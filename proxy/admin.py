"""Operator commands on the store: outbox depth, dead letters (list, show, replay, drop)."""

from __future__ import annotations

import json
import time

from .store import codec


def outbox(store) -> str:
    depth = store.depth()
    dead = store.dead_letters(limit=100000)
    names = sorted(set(depth) | {d.upstream for d in dead})
    if not names:
        return "outbox empty, no dead letters"
    now = time.time()
    lines = [f"{'upstream':<16} {'waiting':>8} {'oldest':>10} {'dead':>6}"]
    for name in names:
        count, oldest = depth.get(name, (0, None))
        age = f"{now - oldest:.1f}s" if oldest else "-"
        lines.append(f"{name:<16} {count:>8} {age:>10} {sum(1 for d in dead if d.upstream == name):>6}")
    return "\n".join(lines)


def dead_letters(store, action: str, ids: list[int], upstream: str | None, every: bool) -> tuple[str, int]:
    letters = store.dead_letters(upstream, limit=100000)
    chosen = [d.id for d in letters] if every else ids
    if action == "list":
        if not letters:
            return "no dead letters", 0
        rows = [f"{d.id:>6}  {d.upstream:<12} {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(d.created_at))}  "
                f"{d.record.op} {d.record.entity} {d.record.name or ''}  attempts={d.attempts}  {(d.last_error or '')[:100]}" for d in letters]
        return "\n".join(rows), 0
    if action == "show":
        found = [d for d in letters if d.id in set(chosen)]
        if not found:
            return f"no dead letter with id {', '.join(map(str, chosen)) or '(none given)'}", 1
        return "\n".join(json.dumps({"id": d.id, "upstream": d.upstream, "request_id": d.request_id, "attempts": d.attempts,
                                     "last_error": d.last_error, "record": json.loads(codec.dump(d.record))}, indent=2) for d in found), 0
    if not chosen:
        return "name dead letter ids, or --all", 1
    n = store.replay(chosen) if action == "replay" else store.drop(chosen)
    return f"{'replayed' if action == 'replay' else 'dropped'} {n} dead letter(s)", 0 if n else 1
