"""Paging through a source vendor's history, one page at a time, from a position.

A position is (which list of the history file, the paging state of its next page):
`{"page": n}` for page-numbered lists (Opik), `{"cursor": c}` for keyset lists (Scale,
Tracia). A page comes with the position of the page after it, so the caller can record
it once the page's records are committed, and resume there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from ..config import Upstream
from ..mapping.paths import MISSING, compile_getter
from ..upstream import Transport
from .calls import CompiledCall
from .spec import History, Listing, Paging

FOLLOWS_AT_ONCE = 8  # per-item reads (a Tracia span, a Scale trace's assessments) in flight together


@dataclass(slots=True)
class Page:
    listing: int  # index of the list in the history file
    number: int  # pages of this list read so far in this run, this one included
    items: list[tuple[dict, list | None]]  # each item with what its `follow` read (None: not followed)
    next: dict | None  # the paging state of the next page; None: the list is done
    total: int | None  # items in the whole list, where the vendor says
    last: str | None  # the last item's id, for the record


class Reader:
    def __init__(self, history: History, upstream: Upstream, transport: Transport, ctx: dict):
        self.history, self.upstream, self.transport, self.ctx = history, upstream, transport, ctx
        self.lists = [_CompiledListing(listing) for listing in history.lists]

    async def pages(self, listing: int, state: dict | None) -> AsyncIterator[Page]:
        for index in range(listing, len(self.lists)):
            lst = self.lists[index]
            state = state if index == listing and state is not None else lst.first()
            number = 0
            while state is not None:
                answer = await lst.read.fetch(self.transport, self.upstream, {"ctx": self.ctx}, lst.query(state))
                items = lst.read.items_of(answer)
                follows = await self._follow(lst, items)
                number += 1
                nxt = lst.after(state, answer, items)
                yield Page(
                    index,
                    number,
                    list(zip(items, follows, strict=True)),
                    nxt,
                    lst.total(answer),
                    lst.item_id(items[-1]) if items else None,
                )
                state = nxt

    async def _follow(self, lst: _CompiledListing, items: list[dict]) -> list[list | None]:
        if lst.follow is None:
            return [None] * len(items)
        gate = asyncio.Semaphore(FOLLOWS_AT_ONCE)

        async def one(item: dict) -> list | None:
            if not lst.follow.applies(item):
                return None
            async with gate:
                answer = await lst.follow.fetch(self.transport, self.upstream, {"ctx": self.ctx, "item": item})
            return lst.follow.items_of(answer)

        return list(await asyncio.gather(*(one(i) for i in items)))


class _CompiledListing:
    def __init__(self, listing: Listing):
        self.name, self.paging = listing.name, listing.paging
        self.read = CompiledCall(listing.read)
        self.follow = CompiledCall(listing.follow) if listing.follow else None
        self._next = _getters(listing.paging.next)
        self._more = _getters(listing.paging.more)
        self._total = _getters(listing.paging.total)
        self._item_id = _getters(listing.item_id, frozenset({"item"}))

    def first(self) -> dict:
        return {"page": 1} if self.paging.style == "page" else {"cursor": None}

    def query(self, state: dict) -> dict:
        p: Paging = self.paging
        out: dict[str, Any] = {p.size: p.limit}
        if p.style == "page":
            out[p.param] = state["page"]
        elif state.get("cursor") is not None:
            out[p.param] = state["cursor"]
        return out

    def after(self, state: dict, answer: Any, items: list[dict]) -> dict | None:
        """The state of the page after this one, or None at the end of the list."""
        if not items or self._more({"answer": answer}) is False:
            return None
        if self.paging.style == "page":
            return self._next_page(state, len(items), self.total(answer))
        cursor = self._next({"answer": answer, "last": items[-1]})
        return {"cursor": str(cursor)} if cursor not in (None, "") else None

    def _next_page(self, state: dict, got: int, total: int | None) -> dict | None:
        """A short page ends the list, unless the vendor says there are more: then its pages
        are shorter than asked for (a size cap of its own), and that is their size."""
        size = state.get("size") or self.paging.limit
        if state["page"] == 1 and got < size and total is not None and got < total:
            size = got
        if got < size or (total is not None and state["page"] * size >= total):
            return None
        return {"page": state["page"] + 1, **({"size": size} if size != self.paging.limit else {})}

    def item_id(self, item: dict) -> str | None:
        v = self._item_id({"item": item})
        return str(v) if v is not None else None

    def total(self, answer: Any) -> int | None:
        v = self._total({"answer": answer})
        return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _getters(paths: str | list[str] | None, roots: frozenset = frozenset({"answer", "last"})) -> Callable[[dict], Any]:
    """The first present of these paths (roots `answer`, `last`), or None."""
    found = [compile_getter(p, roots)[1] for p in ([paths] if isinstance(paths, str) else paths or [])]

    def first(src: dict) -> Any:
        for get in found:
            v = get(src)
            if v is not MISSING:
                return v
        return None

    return first
