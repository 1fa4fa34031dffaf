"""What a back-fill job read, queued, found already present, and could not carry.

Counted as the job goes and saved with its checkpoint (so a resumed job's summary covers
every run). Losses come from two places: fields of what the source's read API answers
that no live write request carries (the history file's `ignored` says why), and the
mapping's own loss report (proxy/mapping/explain.py) for each record, as
`feedback-proxy translate --explain` gives it for one request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..mapping.explain import explain, leaves, sources
from ..mapping.rules import Rule
from .spec import Listing

UNCARRIED = "no live request of the vendor carries it"


@dataclass
class Tally:
    items: dict[str, int] = field(default_factory=dict)  # list name -> items read
    pages: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # list name -> items in all, where the source says (Opik)
    records: dict[str, int] = field(default_factory=dict)  # write name -> records decoded
    queued: int = 0  # committed to the outbox for the target
    present: int = 0  # already delivered to the target, as they are now: not queued
    written: int = 0  # delivered to the target by this job's runs
    dead: int = 0  # dead letters for the target made by this job's runs
    not_carried: dict[str, int] = field(default_factory=dict)  # why the target cannot take a record at all -> records
    unreadable: dict[str, int] = field(default_factory=dict)  # why an item read would not decode -> items
    lost: dict[str, int] = field(default_factory=dict)  # "status\twhere\twhy" -> records

    @classmethod
    def of(cls, saved: dict) -> Tally:
        return cls(**{k: v for k, v in saved.items() if k in cls.__dataclass_fields__})

    def saved(self) -> dict:
        return asdict(self)

    @property
    def total(self) -> int | None:
        return sum(self.totals.values()) or None

    def add(self, counts: dict, key: str, n: int = 1) -> None:
        counts[key] = counts.get(key, 0) + n

    def losses(self) -> list[tuple[int, str, str, str]]:
        """(records, status, where, why), most first."""
        rows = [(n, *key.split("\t", 2)) for key, n in self.lost.items()]
        return sorted(rows, key=lambda r: (-r[0], r[2]))


class RecordLosses:
    """The mapping's loss report for each record (explain.py, as `translate --explain`),
    added to the tally. A report depends only on the record's shape (which fields the
    request and the record carry, and the target's case that takes it), so it is worked
    out once per shape and counted for every record of that shape."""

    def __init__(self, target):
        self.target = target
        self._seen: dict[tuple, list[str]] = {}

    def add(self, tally: Tally, write_name: str, group: str | None, endpoint, wire, rec, case) -> None:
        shape = (write_name, tuple(leaves(wire.body)), tuple(sorted(wire.path_params)), tuple(rec.present()), id(case))
        rows = self._seen.get(shape)
        if rows is None:
            rows = self._seen[shape] = self._rows(write_name, group, endpoint, wire, rec)
        for key in rows:
            tally.add(tally.lost, key)

    def _rows(self, write_name: str, group: str | None, endpoint, wire, rec) -> list[str]:
        out = []
        for row in self._explained(endpoint, wire, rec):
            if row["status"] in ("kept", "skipped"):
                continue
            where = row["input"] if row["input"] != "(whole record)" else f"(whole {row['canonical']})"
            for prefix in (f"body.{group}[*].", "body."):
                where = where[len(prefix) :] if where.startswith(prefix) else where
            out.append(f"{row['status']}\t{write_name}: {where}\t{row['note']}")
        return out

    def _explained(self, endpoint, wire, rec) -> list[dict]:
        """explain()'s rows; for a record two cases take (an `also` case: a root span that is an
        Opik trace and an Opik span), a field either of them carries is kept."""
        t = self.target
        cases = t.mapping.pick_all(*t.ready(rec), t.overrides)
        refused = t.encode([rec])[1]
        if len(cases) < 2:
            return explain(endpoint, wire, [rec], t, [], refused)
        reports = [explain(endpoint, wire, [rec], t.with_overrides([case]), [], refused) for case in cases]
        kept = {row["input"] for rows in reports for row in rows if row["status"] == "kept"}
        return [row for row in reports[0] if row["status"] == "kept" or row["input"] not in kept]


class ReadDrops:
    """The fields of a list's items (and of what its `follow` reads) that no write takes."""

    def __init__(self, listing: Listing):
        self.name, self.ignored = listing.name, listing.ignored
        self.followed = (
            listing.follow.name if listing.follow and listing.follow.name else f"{listing.name} (read one by one)"
        )
        self.whole = bool(listing.follow and listing.follow.whole)  # then a followed item is reported as read whole
        self.used: set[str] = set()
        self.used_in_follow: set[str] = set()
        self._seen: dict[
            tuple[str, bool], tuple[str, str] | None
        ] = {}  # (leaf, in a follow) -> how it is reported, or None: carried
        for rule in (listing.follow.params | listing.follow.query).values() if listing.follow else ():
            self._use(rule, None)
        for w in listing.writes:
            for rule in [*w.body.values(), *w.params.values(), w.key, w.known_as, w.at]:
                if rule is not None:
                    self._use(rule, w.each)

    def _use(self, rule: Rule, each: str | None) -> None:
        for path in sources(rule):
            if path.startswith("item."):
                self.used.add(path[5:])
            elif path.startswith("each.") and each == "follow":
                self.used_in_follow.add(path[5:])
            elif path.startswith("each.") and each and each.startswith("item."):
                self.used.add(f"{each[5:]}[*].{path[5:]}")

    def count(self, tally: Tally, item: dict, follows: list | None) -> None:
        for where, why in self._dropped(item, False).items() if not (self.whole and follows) else ():
            tally.add(tally.lost, f"dropped\t{self.name}: {where}\tat read: {why}")
        for follow in follows or ():
            for where, why in self._dropped(follow, True).items():
                tally.add(tally.lost, f"dropped\t{self.followed}: {where}\tat read: {why}")

    def _dropped(self, obj: dict, followed: bool) -> dict[str, str]:
        """Each field no write reads, under the name `ignored` gives it (a field it names
        covers everything below it, e.g. Opik's value_by_author.<author>.value)."""
        out: dict[str, str] = {}
        for leaf in leaves(obj, "item"):
            seen = self._seen.get((leaf, followed), ())
            if seen == ():
                rel, used = leaf[5:], self.used | self.used_in_follow if followed else self.used
                carried = any(rel == u or rel.startswith(u + ".") or rel.startswith(u + "[") for u in used)
                seen = self._seen[(leaf, followed)] = None if carried else self._why(rel)
            if seen is not None:
                out.setdefault(*seen)
        return out

    def _why(self, leaf: str) -> tuple[str, str]:
        """(the field as reported, why it is not carried): the first part of its path that `ignored` names."""
        parts = leaf.split(".")
        for i, part in enumerate(parts):
            path = ".".join(parts[: i + 1])
            for name in (path, part.removesuffix("[*]")):
                if name in self.ignored:
                    return path, self.ignored[name]
        return leaf, UNCARRIED
