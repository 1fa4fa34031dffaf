"""One back-fill job: read the source's history page by page, turn each page into the live
write requests it would have been, decode them with the source's mapping, and commit the
records for the target to the outbox, as live traffic is; save the checkpoint; deliver.

    read page -> write requests -> decode (records.py) -> resolve + remember -> for each record:
      the target cannot take it at all (its mapping says so)  -> not carried
      the target already has it, as it is now                 -> present (not queued)
      it is live feedback read back, the target has that      -> present (not queued, not remembered)
      else                                                    -> queued
    -> commit the page's records -> checkpoint -> next page ... -> drain the outbox
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..delivery.target import now_iso
from ..errors import ConfigError
from ..idspace import RECORD
from ..mapping import WireRequest
from ..model import Span, span_key
from ..pipeline import Proxy
from ..resolve import refresh
from ..store import Store, codec
from ..store.writes import Writes
from . import commit
from .calls import ReadError
from .checkpoint import Checkpoint, job_key
from .dryrun import DrySample
from .reader import Page, Reader
from .records import Decoder, same_feedback
from .report import ReadDrops, RecordLosses, Tally
from .spec import load_history
from .writes import CompiledWrite, WriteRequest


@dataclass
class Job:
    source: str  # upstream names in the config
    target: str
    project: str | None = None
    since: str | None = None  # ISO 8601
    until: str | None = None
    dry_run: bool = False  # read and translate, write nothing
    queue_only: bool = False  # commit to the outbox and leave delivery to a running `serve`
    restart: bool = False  # forget the checkpoint: read from the start again
    sample: int = 3  # dry run: the requests shown per target endpoint


@dataclass
class Stops:
    """Signals from outside (Ctrl-C): stop reading after this page; stop waiting for delivery."""

    reading: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: asyncio.Event = field(default_factory=asyncio.Event)


class Backfill:
    def __init__(self, job: Job, config, mappings: dict, store: Store, transport):
        for name in (job.source, job.target):
            if name not in config.upstreams:
                raise ConfigError(f"no upstream {name!r} in the config; known: {', '.join(config.upstreams)}")
        if job.source == job.target:
            raise ConfigError("--from and --to name the same upstream: nothing to back-fill")
        self.job, self.store = job, store
        self.source = config.upstreams[job.source]
        self.proxy = Proxy(
            config, mappings, store, transport
        )  # the router, resolver, outbox and workers live traffic uses
        route = self.proxy.router.route_for(self.source.vendor)
        self.route = (
            route.index if route is not None else None
        )  # the source vendor's route: its overrides for the target apply
        self.target = self.proxy.router.target(job.target, self.route)
        self.history = load_history(self.source.vendor, config.mappings_dir)
        self.writes = [
            [CompiledWrite(w, mappings[self.source.vendor]) for w in lst.writes] for lst in self.history.lists
        ]
        self.drops = [ReadDrops(lst) for lst in self.history.lists]
        self.decoder = Decoder(self.source.vendor, config.id_secret, store)
        self.losses = RecordLosses(self.target)
        self.checkpoint = Checkpoint(job_key(job.source, job.target, job.project, job.since, job.until))
        if not job.dry_run and not job.restart:
            self.checkpoint = Checkpoint.load(store, self.checkpoint.key)
        self.tally = Tally.of(self.checkpoint.tally)
        self._committed: dict | None = None  # the tallies as last saved with a page
        self.dry = DrySample(self.target, job.sample) if job.dry_run else None  # what a dry run shows

    @property
    def ctx(self) -> dict:
        return {"project": self.job.project, "since": self.job.since, "until": self.checkpoint.until}

    def begin(self) -> None:
        """Fix the time window (a first run with no --until ends it now) and count the run."""
        if self.checkpoint.until is None:
            self.checkpoint.until = self.job.until or (None if self.job.dry_run else now_iso())
        self.checkpoint.runs += 1

    async def read(self, transport, stops: Stops, on_page) -> None:
        """Every page from the checkpoint on; stops early when asked (ReadError: the source failed)."""
        reader = Reader(self.history, self.source, transport, self.ctx)
        async for page in reader.pages(self.checkpoint.listing, self.checkpoint.state):
            await self._page(page)
            on_page(page)
            if stops.reading.is_set():
                return

    async def _page(self, page: Page) -> None:
        listing = self.history.lists[page.listing]
        self.tally.add(self.tally.items, listing.name, len(page.items))
        self.tally.pages += 1
        if page.total is not None:
            self.tally.totals[listing.name] = page.total
        for item, follows in page.items:
            self.drops[page.listing].count(self.tally, item, follows)
        fresh: list = []
        pending = Writes()  # the page's store writes: committed at once, with its outbox rows
        for write in self.writes[page.listing]:
            requests, bad = write.requests(page.items, self.ctx)
            for why in bad:
                self.tally.add(self.tally.unreadable, why)
            for req in requests:
                fresh += self._records(req, pending)
        if self.dry is not None:
            self.tally.queued += len(fresh)  # what would be
            self.store.commit(pending)  # into the dry run's own memory (dryrun.py)
            self.dry.add(fresh)
        else:
            request_id = f"backfill:{self.job.source}>{self.job.target}:{listing.name}:{page.last or page.number}"
            await commit.enqueue(self.proxy, self.target, fresh, request_id, self.route, pending)
            self.tally.queued += len(fresh)
            self.checkpoint.advance(page.listing, page.next, page.last, len(self.history.lists))
            self.save()

    def _records(self, req: WriteRequest, pending: Writes) -> list:
        decoded, bad = self.decoder.decode(req)
        for why in bad:
            self.tally.add(self.tally.unreadable, why)
        records = [rec for rec, _ in decoded]
        resolved = self.proxy.resolver.resolve(records, strict=False)
        if len(resolved) != len(records):  # only updates and removals of unknown assessments are dropped
            raise ConfigError(
                f"history of {self.source.vendor}: {req.write.name!r} writes to {req.write.spec.endpoint!r}, which "
                f"names "
                "assessments by an id: a back-fill write must be one that creates"
            )
        echoes = [self._echo(rec) for rec in resolved]
        kept = [(rec, el.known_as) for rec, (_, el), echo in zip(resolved, decoded, echoes, strict=True) if not echo]
        commit.remember(self.proxy, [rec for rec, _ in kept], [key for _, key in kept], pending)
        self.tally.add(self.tally.records, req.write.name, len(resolved))
        fresh = []
        for rec, (_, el), echo in zip(resolved, decoded, echoes, strict=True):
            if echo:  # what the target has from live traffic, read back from the source
                self.tally.present += 1
                continue
            case, loss = self._case(rec)
            if case is None:
                self.tally.add(self.tally.not_carried, f"{req.write.name}: {loss}")
                continue
            wire = _element_wire(req, el)
            self.losses.add(self.tally, req.write.name, req.write.spec.group, req.write.endpoint, wire, rec, case)
            if self.dry is not None:
                self.dry.example(req.write.name, req.write.endpoint, wire, rec)
            if self.store.delivered(self.target.name, rec.id) == codec.fingerprint(refresh(self.store, rec)):
                self.tally.present += 1
            else:
                fresh.append(rec)
        return fresh

    def _echo(self, rec) -> bool:
        """Live traffic read back from the source as the source holds it (records.py): feedback
        that says what the record accepted live says, which the target has; a trace or a span
        the proxy wrote to the source from a third vendor's, which the target has from there."""
        if isinstance(rec, Span):
            return self._echoed_span(rec)
        if self.store.delivered(self.target.name, rec.id) is None:
            return False
        prior = self.proxy.resolver.prior(rec)
        return prior is not None and prior.id == rec.id and same_feedback(prior, rec)

    def _echoed_span(self, span: Span) -> bool:
        """An Opik span the proxy made from a Tracia span is that span, present where the target
        acknowledged it; an Opik trace made from a Tracia trace id, where the target was given
        that trace (Scale and Tracia hold a trace as its spans: it would come back as a second root)."""
        ref = span.span_id if span.entity == "span" else span.trace_id
        origin = self.store.origin_of(ref.vendor, ref.value) if ref is not None else None
        if origin is None or origin[0] in (ref.vendor, RECORD):
            return False
        if span.entity == "span":
            return self.store.delivered(self.target.name, span_key(origin[0], "span", origin[1])) is not None
        return self.store.id_for(origin[0], origin[1], self.target.vendor) is not None

    def _case(self, rec):
        """(the target's encode case that takes the record, or None and why none can). Live, a
        record no case takes is queued unless the mapping declares the loss, and becomes a dead
        letter; here it is counted as not carried, with the reason, and not queued."""
        ready, ctx = self.target.ready(rec)
        case = self.target.mapping.pick(ready, ctx, self.target.overrides)
        return case, None if case is not None else self.target.mapping.why_not(ready)

    def save(self) -> None:
        """The checkpoint and the tallies (with what the worker delivered so far): after a
        page is committed, and at the end."""
        if not self.job.dry_run:
            self.tally.written, self.tally.dead = self.settled()
            self.checkpoint.tally = self._committed = self.tally.saved()
            self.checkpoint.save(self.store)

    def save_settled(self) -> None:
        """Between pages: what the worker delivered since the last save, beside the tallies of
        the pages committed (not of one half done), so a killed run's count is not lost."""
        if self.job.dry_run or self._committed is None:
            return
        written, dead = self.settled()
        if (written, dead) != (self._committed["written"], self._committed["dead"]):
            self.checkpoint.tally = self._committed = {**self._committed, "written": written, "dead": dead}
            self.checkpoint.save(self.store)

    def settled(self) -> tuple[int, int]:
        """(delivered, dead letters) to the target by this job's runs; the runner sets how they are counted."""
        return self.tally.written, self.tally.dead


def _element_wire(req: WriteRequest, el) -> WireRequest:
    """The request as it would have been for this element alone (the loss report is per record)."""
    group = req.write.spec.group
    return WireRequest(req.wire.method, req.wire.path_params, {}, {}, {group: [el.body]} if group else el.body)


__all__ = ["Backfill", "Job", "Stops", "ReadError"]
