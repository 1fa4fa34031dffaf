"""A request to a primary of another vendor: translated, sent, checked.

Every record is encoded before anything is sent, so a request the primary
cannot hold is refused whole (route option `untranslatable: reject`) or sent
without the records it cannot hold (`drop`, logged).

One client request can become several upstream requests (an Opik batch becomes
one Tracia evaluation per score). If every one fails, the client hears of it and
may retry safely. If only some fail, the client must not retry (it would
duplicate what did arrive): the records that did not arrive are returned, for
the caller to hand to the outbox, and the client is answered as a success.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ..errors import EncodeError, UpstreamError
from ..mapping.vendor import skipped
from ..model import Assessment
from ..store import reading
from ..store.writes import Writes
from ..upstream import Response, Transport
from .target import Target

log = logging.getLogger("proxy.primary")


async def send_translated(
    transport: Transport,
    target: Target,
    records: list[Assessment],
    policy: str,
    request_id: str,
    writes: Writes,
    commit: Callable[[Writes], Awaitable[None]],
    fresh: frozenset[str] = frozenset(),
) -> list[Assessment]:
    """Send; returns the records still to deliver after a partial failure (raises if nothing arrived).
    What the primary acknowledged is added to `writes`, for the request's commit. `commit` is the
    group commit. `fresh`: the ids of the records this request made (Target.ready)."""
    claims: list = []  # the ids this request's encoding made: settled (group commit) before anything is sent
    requests, refused = await reading(target.store, target.encode, records, fresh, claims)
    if claims:
        await commit(Writes(claims=claims))
        if any(target.store.claimed(*claim[:3]) != claim[3] for claim in claims):  # one made first is kept
            requests, refused = await reading(target.store, target.encode, records, fresh)
    for rec, why in refused:
        if skipped(why):  # nothing to send for it, by the mapping's word (e.g. a Tracia span not ended yet)
            log.info("request %s: %s not sent to the primary %s: %s", request_id, rec.id, target.name, why)
    refused = [(rec, why) for rec, why in refused if not skipped(why)]
    waiting = [rec for rec, why in refused if getattr(why, "missing", None)]  # e.g. a score before its span
    refused = [(rec, why) for rec, why in refused if not getattr(why, "missing", None)]
    if refused:
        why = "; ".join(sorted({reason for _, reason in refused}))
        if policy == "reject":
            raise EncodeError(
                f"the primary upstream {target.name!r} ({target.vendor}) cannot take {len(refused)} record(s): {why}"
            )
        log.warning(
            "request %s: dropped %d record(s) the primary %s cannot take: %s",
            request_id,
            len(refused),
            target.name,
            why,
        )
    results = await _sent(transport, target, requests)
    failure: UpstreamError | None = None
    undelivered: list[Assessment] = []
    for req, res in zip(requests, results, strict=True):
        if isinstance(res, UpstreamError):
            res.upstream = target.name
            failure = failure or res
            undelivered += req.records
        elif isinstance(res, BaseException):
            raise res
        elif res.status >= 300:
            failure = failure or _rejected(target, res)
            undelivered += req.records
        else:
            target.learn_from(req, res, writes)
        status = res.status if isinstance(res, Response) else "no answer"
        log.info("request %s: primary %s %s %s -> %s", request_id, target.name, req.method, req.path, status)
    if failure is not None and len(undelivered) == sum(len(r.records) for r in requests):
        raise failure
    missed = {id(r) for r in undelivered}  # a record in two requests arrived only if both did
    target.delivered(list({id(r): r for req in requests for r in req.records if id(r) not in missed}.values()), writes)
    if undelivered:
        log.warning(
            "request %s: primary %s took part of it; %d record(s) go to the outbox: %s",
            request_id,
            target.name,
            len(undelivered),
            failure.message,
        )
    if waiting:
        log.info(
            "request %s: %d record(s) wait in the outbox for what the primary %s needs",
            request_id,
            len(waiting),
            target.name,
        )
    return list({id(r): r for r in undelivered + waiting}.values())


async def _sent(transport: Transport, target: Target, requests: list) -> list:
    """Each request's answer, or the exception it raised, sent at once. One (the usual case) is
    awaited as it is: gather would make it a task of its own."""
    if len(requests) != 1:
        return await asyncio.gather(*(target.send(transport, r) for r in requests), return_exceptions=True)
    try:
        return [await target.send(transport, requests[0])]
    except Exception as exc:  # as gather's return_exceptions: the caller sorts them
        return [exc]


def _rejected(target: Target, res: Response) -> UpstreamError:
    text = res.body[:500].decode(errors="replace")
    retry = res.headers.get("retry-after")
    return UpstreamError(
        f"the primary upstream {target.name!r} answered {res.status}: {text}",
        upstream=target.name,
        status_received=res.status,
        retry_after=float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
    )
