"""Effectively once for a create that makes a new object at each call (a mapping's `creates:
true`): the worker (worker.py) asks before each such send."""

from __future__ import annotations

import logging

from ..errors import UpstreamError
from ..model import OutRequest
from ..store.outbox import OutboxItem
from ..store.writes import Writes
from ..upstream import Response, Transport
from .target import Target

log = logging.getLogger("proxy.delivery")


async def before_a_create(
    commit, transport: Transport, upstream: str, target: Target, req: OutRequest, items: list[OutboxItem]
) -> Response | None:
    """Before a create that makes a new object at each call: a record marked as sent before
    (its outcome never committed: a crash, a timeout) is looked for at the vendor first, and
    what was found stands for the create's answer; otherwise the records are marked, durably,
    and None says: send it."""
    if not any(it.sent_at for it in items):
        await commit(Writes(sending=[it.id for it in items]))
        return None
    if target.can_reconcile(req):
        try:
            found = await target.reconcile(transport, req)
        except UpstreamError as exc:  # the read-back failed: the create it stands for may still have arrived
            exc.unsent = False
            raise
        if found is not None:
            log.info(
                "%s already had %s (sent before a crash or a timeout): adopted, not sent again",
                upstream,
                ",".join(it.record.id for it in items),
            )
        return found
    log.warning(
        "%s cannot be asked what it holds: %s %s sent again for %s, which it may have received already "
        "(README, Delivery)",
        upstream,
        req.method,
        req.path,
        ",".join(it.record.id for it in items),
    )
    return None
