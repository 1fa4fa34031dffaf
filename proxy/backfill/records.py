"""A back-filled write request -> canonical records with the ids live traffic gave them.

The decode is the vendor mapping's own (the one live requests go through). What differs
is the record id: live, it is made per request; here it must be the id the same feedback
already has, so the outbox, the delivered prints and the learned vendor ids treat the
second arrival as the first one's, whichever came first. In order:

1. the source's own id of it (Scale's assessment_id) names a record the proxy accepted: that one's id;
2. a score that overwrites by name (Opik) is the record accepted before under its entity
   and name: the Resolver does that, as for live traffic (proxy/resolve.py);
3. a comment with the same text about the same entity is that comment;
4. else an id derived from the history file's `key` (stable across runs and instances).

A record found so is an echo when it says what the accepted one says (`same_feedback`): live
feedback the proxy mirrored to the source, read back as the source holds it (a Tracia
evaluation, read back from Opik as a score on the span's Opik UUID). The target that has the
accepted one has it: the back-fill counts it present and keeps the accepted record as it is.
"""

from __future__ import annotations

from .. import ids
from ..errors import ValidationFailed
from ..model import Assessment, Span
from ..store import Records
from .writes import Element, WriteRequest


class Decoder:
    def __init__(self, vendor: str, secret: str, store: Records):
        self.vendor, self.secret, self.store = vendor, secret, store

    def decode(self, req: WriteRequest) -> tuple[list[tuple[object, Element]], list[str]]:
        """-> ((record, the element it came from) each, why any element would not decode)."""
        try:
            return self._identified(self._decode(req, req.elements), req.elements), []
        except ValidationFailed as exc:
            if len(req.elements) == 1:
                return [], [f"{req.write.name}: {exc.message}"]
        return self._one_by_one(req)

    def _one_by_one(self, req: WriteRequest) -> tuple[list[tuple[object, Element]], list[str]]:
        """A group with a bad element: each element on its own, so the others still go."""
        out, bad = [], []
        group = req.write.spec.group
        for el in req.elements:
            wire = type(req.wire)(req.wire.method, req.wire.path_params, {}, {}, {group: [el.body]})
            try:
                out += self._identified(self._decode(req, [el], wire), [el])
            except ValidationFailed as exc:
                bad.append(f"{req.write.name}: {exc.message}")
        return out, bad

    def _decode(self, req: WriteRequest, elements: list[Element], wire=None) -> list:
        ctx = {
            "request_id": "backfill",
            "make_id": lambda i: self._derived(elements[i].key if i < len(elements) else None, i),
        }
        if len(elements) == 1 and elements[0].at:
            ctx["now_iso"] = elements[0].at  # when it happened: what a decode reads as "now" (Tracia's span times)
        return req.write.endpoint.decode(wire or req.wire, ctx)

    def _identified(self, records: list, elements: list[Element]) -> list[tuple[object, Element]]:
        for rec, el in zip(records, elements, strict=True):
            if isinstance(rec, Span):
                continue
            if el.at and rec.created_at is None:
                rec.created_at = el.at
            rec.id = self._accepted_as(rec, el.known_as) or rec.id
        return list(zip(records, elements, strict=True))

    def _accepted_as(self, rec: Assessment, known_as: str | None) -> str | None:
        if known_as:
            prior = self.store.get_record(known_as)
            if prior is not None:
                return prior.id
        if rec.op == "comment" and rec.entity_ref is not None:
            for prior in self.store.records_about(str(rec.entity_ref)):
                if (
                    prior.op == "comment"
                    and prior.entity == rec.entity
                    and prior.entity_ref == rec.entity_ref
                    and prior.comment == rec.comment
                ):
                    return prior.id
        return None

    def _derived(self, key: str | None, index: int) -> str:
        """A record id from what identifies it at the source; the time part is fixed (0), so
        the same key gives the same id whenever it is read."""
        return ids.derived_uuid7(self.secret, f"backfill {self.vendor} {key if key else index}", 0)


FEEDBACK = ("name", "value", "label", "comment", "rubric", "correction")  # what it says, whatever vendor holds it


def same_feedback(accepted: Assessment, read: Assessment) -> bool:
    """`read` says what `accepted` says: the same name, value, label, note, rubric and correction
    (where it came from, who wrote it and when, and its vendor's extras aside)."""
    return all((getattr(accepted, f) or None) == (getattr(read, f) or None) for f in FEEDBACK)
