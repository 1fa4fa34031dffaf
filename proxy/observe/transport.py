"""Every request to an upstream passes here: the primary's (forwarded or translated)
and every worker's delivery. Each becomes one log line (event `upstream.attempt`), one
Attempt in the journal, and the upstream's last success or last error."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..errors import UpstreamError
from ..upstream import Response, Transport
from .context import DELIVERY, Attempt, RequestEntry, shown_ms
from .journal import Journal
from .rates import RateWindow

log = logging.getLogger("proxy.upstream")

BODY_KEPT = 4096  # bytes of each body sent kept for the UI
ANSWER_KEPT = 1024  # bytes of an upstream's error answer


@dataclass(slots=True)
class Seen:
    """One upstream as this process last saw it answer."""

    last_success_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    attempts: int = 0


class Observer:
    def __init__(self, upstreams: dict, journal_size: int = 200):
        self.journal = Journal(journal_size)
        self.seen = {name: Seen() for name in upstreams}
        self.answered_ok = (
            RateWindow()
        )  # requests each upstream answered 2xx in the last minute, inline and by the outbox
        # longest base URL first: "http://h/api" before "http://h"
        self._bases = sorted(
            ((up.base_url, name, up.vendor) for name, up in upstreams.items()), key=lambda b: -len(b[0])
        )

    def watch(self, transport: Transport) -> ObservedTransport:
        return transport if isinstance(transport, ObservedTransport) else ObservedTransport(transport, self)

    def begin(self, request_id: str, method: str, path: str, client_id: str | None = None) -> RequestEntry:
        return self.journal.begin(request_id, method, path, client_id)

    def end(self, entry: RequestEntry, status: int) -> None:
        self.journal.end(entry, status)

    def upstream_of(self, url: str) -> tuple[str, str | None, str]:
        """(upstream name, its vendor, the path below its base URL) for a URL sent to."""
        delivery = DELIVERY.get()
        for base, name, vendor in self._bases:
            if url.startswith(base) and (
                delivery is None or delivery.upstream == name or not _same_base(self._bases, base)
            ):
                return name, vendor, url[len(base) :] or "/"
        return (delivery.upstream if delivery else "?"), None, url

    def attempted(self, attempt: Attempt) -> None:
        seen = self.seen.get(attempt.upstream)
        if seen is None:
            seen = self.seen[attempt.upstream] = Seen()
        seen.attempts += 1
        if attempt.ok:
            seen.last_success_at = attempt.at
            self.answered_ok.add(attempt.upstream, now=attempt.at)
        else:
            seen.last_error, seen.last_error_at = _why(attempt), attempt.at
        self.journal.attempted(attempt)
        level = logging.INFO if attempt.status is not None and attempt.status < 500 else logging.WARNING
        if log.isEnabledFor(level):  # the fields are not built for a line nobody writes
            self._log(level, attempt)

    @staticmethod
    def _log(level: int, attempt: Attempt) -> None:
        log.log(
            level,
            "%s %s %s%s -> %s (%.1f ms)",
            attempt.upstream,
            attempt.method,
            attempt.path,
            f" (attempt {attempt.attempt})" if attempt.attempt > 1 else "",
            attempt.status or "no answer",
            attempt.duration_ms,
            extra={
                "event": "upstream.attempt",
                "upstream": attempt.upstream,
                "upstream_vendor": attempt.upstream_vendor,
                "via": attempt.via,
                "method": attempt.method,
                "path": attempt.path,
                "status": attempt.status,
                "attempt": attempt.attempt,
                "duration_ms": shown_ms(attempt.duration_ms),
                **({"error": attempt.error} if attempt.error else {}),
            },
        )


class ObservedTransport:
    """A Transport that tells its Observer about every send, and otherwise changes nothing."""

    def __init__(self, inner: Transport, observer: Observer):
        self.inner, self.observer = inner, observer

    async def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Response:
        started = time.perf_counter()
        try:
            resp = await self.inner.send(method, url, headers, body, timeout)
        except UpstreamError as exc:
            self._seen(method, url, headers, body, started, None, exc.message)
            raise
        self._seen(method, url, headers, body, started, resp, None)
        return resp

    async def close(self) -> None:
        await self.inner.close()

    def _seen(self, method, url, headers, body, started, resp: Response | None, error: str | None) -> None:
        try:
            name, vendor, path = self.observer.upstream_of(url)
            delivery = DELIVERY.get()
            status = resp.status if resp is not None else None
            answer = resp.body[:ANSWER_KEPT] if resp is not None and resp.status >= 300 else b""
            encoding = next((v for k, v in headers.items() if k.lower() == "content-encoding"), None)
            self.observer.attempted(
                Attempt(
                    name,
                    vendor,
                    "outbox" if delivery is not None else "inline",
                    method,
                    path,
                    delivery.attempt if delivery is not None else 1,
                    time.time(),
                    (time.perf_counter() - started) * 1000,
                    status,
                    bytes(body[:BODY_KEPT]) if body else b"",
                    len(body) if body else 0,
                    encoding,
                    bytes(answer),
                    error,
                )
            )
        except Exception:  # watching must never break a delivery
            log.exception("could not record an upstream attempt")


def _same_base(bases, base: str) -> bool:
    return sum(1 for b, _, _ in bases if b == base) > 1


def _why(attempt: Attempt) -> str:
    if attempt.status is None:
        return attempt.error or "no answer"
    text = attempt.answer[:300].decode(errors="replace")
    return f"{attempt.status} to {attempt.method} {attempt.path}" + (f": {text}" if text else "")
