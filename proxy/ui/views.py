"""What the JSON API returns, made from the journal, the workers and the store: plain
data, with every secret the config holds cut out of what upstreams were sent."""

from __future__ import annotations

import json
import time
import zlib
from urllib.parse import urlsplit

from .. import auth
from ..observe import Attempt, RequestEntry, shown_ms

BODY_SHOWN = 4096  # bytes of a gzip body shown once inflated
DEAD_COUNTED = 200  # dead letters counted per upstream on each poll ("200+" beyond)


def request_summary(entry: RequestEntry) -> dict:
    return {
        "request_id": entry.request_id,
        "client_request_id": entry.client_request_id,
        "at": entry.at,
        "method": entry.method,
        "path": auth.REDACTOR.text(entry.path),
        "vendor": entry.vendor,
        "endpoint": entry.endpoint,
        "status": entry.status,
        "duration_ms": shown_ms(entry.duration_ms),
        "attempts_made": entry.attempts_made,
        "attempts": [attempt_summary(a) for a in entry.attempts],
    }


def request_detail(entry: RequestEntry) -> dict:
    out = request_summary(entry)
    out["attempts"] = [
        {**attempt_summary(a), "sent": body_view(a), "answer": _text(a.answer) or None} for a in entry.attempts
    ]
    return out


def attempt_summary(a: Attempt) -> dict:
    return {
        "upstream": a.upstream,
        "upstream_vendor": a.upstream_vendor,
        "via": a.via,
        "method": a.method,
        "path": auth.REDACTOR.text(a.path),
        "attempt": a.attempt,
        "at": a.at,
        "duration_ms": shown_ms(a.duration_ms),
        "status": a.status,
        "error": auth.REDACTOR.text(a.error) if a.error else None,
    }


def body_view(a: Attempt) -> dict:
    """What was sent: parsed JSON when all of it was kept, else its first bytes as text."""
    raw, truncated = a.body, a.body_bytes > len(a.body)
    if a.encoding and a.encoding.lower() in ("gzip", "x-gzip", "deflate"):
        try:
            raw = zlib.decompressobj(
                16 + zlib.MAX_WBITS if "gzip" in a.encoding.lower() else zlib.MAX_WBITS
            ).decompress(raw, BODY_SHOWN)
        except zlib.error:
            return {
                "text": f"({a.encoding} body of {a.body_bytes} bytes)",
                "truncated": truncated,
                "bytes": a.body_bytes,
            }
    text = _text(raw)
    view: dict = {"truncated": truncated, "bytes": a.body_bytes}
    if not truncated and text:
        try:
            view["json"] = json.loads(text)
            return view
        except ValueError:
            pass
    view["text"] = text
    return view


def _text(data: bytes) -> str:
    return auth.REDACTOR.text(data.decode("utf-8", errors="replace")) if data else ""


def upstream_health(name: str, upstream, worker, observer, queue: dict, metrics, now: float | None = None) -> dict:
    """One upstream at a glance: its circuit, its queue, how fast it drains, when it last answered well or badly."""
    now = time.time() if now is None else now
    seen = observer.seen.get(name)
    last_error, last_error_at = (
        (seen.last_error, seen.last_error_at)
        if seen and seen.last_error
        else (worker.last_error if worker else None, None)
    )
    oldest = queue.get("oldest")
    return {
        "name": name,
        "vendor": upstream.vendor,
        "origin": _origin(upstream.base_url),
        "circuit": worker.breaker.state if worker else "closed",
        "failures_in_a_row": worker.breaker.failures if worker else 0,
        "waiting": queue.get("waiting", 0),
        "oldest_age": round(now - oldest, 1) if oldest else None,
        "dead": min(queue.get("dead", 0), DEAD_COUNTED),
        "dead_more": queue.get("dead", 0) > DEAD_COUNTED,
        "requests_ok_last_minute": observer.answered_ok.count(name, now),
        "delivered_last_minute": metrics.recent_deliveries.count(name, now),
        "delivered_per_second": metrics.recent_deliveries.per_second(name, now),
        "last_success_at": seen.last_success_at if seen else None,
        "last_error": auth.REDACTOR.text(last_error) if last_error else None,
        "last_error_at": last_error_at,
        # why this upstream's deliveries are stalled (its worker's rounds fail: the store locked or refusing writes)
        "worker_problem": auth.REDACTOR.text(worker.problem) if worker and worker.problem else None,
    }


def _origin(url: str) -> str:
    """scheme://host[:port]/path, without any user:password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def letter_summary(letter: dict) -> dict:
    rec = letter["record"]
    what = " ".join(str(x) for x in (rec.get("op"), rec.get("entity"), rec.get("name")) if x)
    return {**auth.REDACTOR.data(letter), "summary": what}
