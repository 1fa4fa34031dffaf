"""The one place the back-fill hands records to the proxy's own bookkeeping, exactly as
the pipeline does for a live request (proxy/pipeline.py, `Proxy._handle`): remember
what was accepted (the Resolver: spans merged, assessments by the key a later request
names them by), then commit the records to the outbox for the target in one transaction
(group commit, proxy/delivery/committer.py). Kept apart so a change in how the pipeline
commits is made here once."""

from __future__ import annotations

from ..model import Assessment
from ..store.writes import Writes


def remember(proxy, records: list, keys: list[str | None] | None, writes: Writes) -> None:
    """What later requests and later pages resolve against (a span score's trace, a name's prior
    record): spans at once, assessments in `writes`, committed with the page."""
    proxy.resolver.remember(records, keys, writes)


async def enqueue(proxy, target, records: list[Assessment], request_id: str, route: int | None, writes: Writes) -> None:
    """Durable once this returns: the target's worker (this job's, or a running serve's) delivers them."""
    proxy.outbox.stage((target,), records, request_id, route, writes)
    await proxy.outbox.settle(writes)
