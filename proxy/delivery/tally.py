"""Which items of one delivery round have had all their requests answered."""

from __future__ import annotations

from ..store.outbox import OutboxItem


class Tally:
    """Which items of one delivery round have had all their requests answered.

    A record can travel in several requests (an `also` case); it is settled once:
    done when the last of them arrived, retried or buried at the first that failed."""

    def __init__(self) -> None:
        self.left: dict[int, int] = {}
        self.settled: set[int] = set()

    def expect(self, items: list[OutboxItem]) -> None:
        for it in items:
            self.left[it.id] = self.left.get(it.id, 0) + 1

    def arrived(self, items: list[OutboxItem]) -> list[OutboxItem]:
        out = []
        for it in items:
            self.left[it.id] -= 1
            if self.left[it.id] == 0 and it.id not in self.settled:
                self.settled.add(it.id)
                out.append(it)
        return out

    def unsettled(self, items: list[OutboxItem]) -> list[OutboxItem]:
        out = [it for it in items if it.id not in self.settled]
        self.settled.update(it.id for it in out)
        return out
