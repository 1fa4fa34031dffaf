"""The canonical model: the only thing that crosses from decode to encode.

An `Assessment` is one piece of feedback about one entity (a trace, a span or a
thread), whatever vendor it came from. Decoding a vendor request yields a list
of them; encoding turns a list of them into requests for another vendor.

Ids are `Ref`s: they remember the vendor whose id space they live in, so an
encoder can ask for "this id in my vendor's space" (see `proxy.ids`).

These are plain slotted dataclasses rather than pydantic models: they are built
by the compiled mapping rules, which already validated the wire input, and a
1,000-item Opik batch must decode in well under 5 ms.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .generated import define

# What a record asks the upstream to do. Feedback is a named score or a comment about an
# entity (upsert, delete, comment); the rest are how a client acts on feedback it already gave.
# Where only one vendor's API has an op today, it says so: a new vendor's concept enters here,
# on purpose, with its meaning written down (README, Mappings), not as another vendor's word.
# "No value here" (a field absent, not null): what a mapping's path finds where a step is
# missing, and what a codec function answers when it has nothing to give. Below both.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

OPS = ("upsert", "delete", "comment", "evaluate", "update", "remove", "read", "list")
# upsert   - set a named score on an entity (Opik PUT, Tracia evaluate, Scale create)
# delete   - remove a named score from an entity, by its name (Opik feedback-scores/delete)
# comment  - attach free text to an entity (Opik comments, Scale "comment" assessments)
# evaluate - ask the vendor to run its own evaluators on entities (Opik manual-evaluation: only Opik has it)
# update   - change a record known by `vendor_id` (Scale PATCH: only Scale names feedback by an id)
# remove   - delete a record known by `vendor_id` (Scale DELETE)
# read     - fetch a record known by `vendor_id`; list - those of a trace or span (Scale GET)
ENTITIES = ("trace", "span", "thread", "run")
# run - a dataset or experiment run (only Langfuse scores one; its id rides in metadata.datasetRunId):
#       no other vendor has one, so such a score is refused by their encoders at once, not parked


class Ref(NamedTuple):
    """An id together with the vendor whose id space it belongs to."""

    vendor: str
    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Assessment:
    op: str
    entity: str = "span"
    trace_id: Ref | None = None
    span_id: Ref | None = None
    # a trace's score, as an upstream with no trace object gets it: the trace's root span (roots.py),
    # named only while encoding for that upstream, once it has the span (delivery/target.py)
    root_span_id: Ref | None = None
    thread_id: str | None = None
    project: str | None = None
    name: str | None = None
    value: float | None = None
    scale: list[float] | None = None  # [lo, hi]: the range `value` was given on, when known
    label: str | None = None  # a categorical value (Opik category_name, Scale approval)
    comment: str | None = None
    rubric: dict[str, str] | None = None  # criterion -> verdict
    correction: Any = None  # what the output should have been (Scale "overwrite"; carried in others' metadata)
    metadata: dict[str, Any] | None = None
    source: str | None = None
    author: str | None = None
    created_at: str | None = None
    vendor_id: str | None = None  # the id a vendor gave this record, as its clients name it (Scale's assessment_id)
    names: list[str] | None = None  # a delete of several score names at once (only Opik's thread delete takes it)
    entity_ids: list[str] | None = None  # evaluate: the entities to run on (only Opik's manual evaluation)
    rule_ids: list[str] | None = None  # evaluate: the vendor's own evaluator rules (only Opik's manual evaluation)
    id: str = ""  # proxy-assigned, stable: the idempotency key
    origin: dict[str, Any] = field(default_factory=dict)  # vendor, endpoint, original ids

    @property
    def entity_ref(self) -> Ref | str | None:
        """The id of the entity this assessment is about."""
        if self.entity == "thread":
            return self.thread_id
        return self.span_id if self.entity == "span" else self.trace_id

    def present(self) -> dict[str, Any]:
        """The fields that carry a value (for loss reports and logs)."""
        out = {}
        for f in FIELDS:
            v = getattr(self, f)
            if v is not None and v != "" and f not in ("origin", "id"):
                out[f] = v
        return out


FIELDS = tuple(f.name for f in dataclasses.fields(Assessment))
ID_FIELDS = ("trace_id", "span_id", "parent_id", "root_span_id")


@dataclass(slots=True)
class Span:
    """A trace or a span, as the vendors that feedback is about know it.

    `entity` is "trace" for a vendor's trace object (Opik's traces) and "span"
    otherwise; a span with no `parent_id` is a root. A create and its later
    updates are one record, merged by the store as they arrive, so `op` is
    always "span" and a record holds everything known about the span so far.
    """

    op: str = "span"
    entity: str = "span"
    trace_id: Ref | None = None
    span_id: Ref | None = None  # None for a trace
    parent_id: Ref | None = None
    root: bool | None = None  # the root span of a vendor whose traces have no object of their own
    project: str | None = None
    name: str | None = None
    type: str | None = None  # general, tool, llm, guardrail (Opik's words)
    start_time: str | None = None  # ISO 8601
    end_time: str | None = None
    input: Any = None
    output: Any = None
    metadata: Any = None  # an object; where the vendor allows it (Opik), a list or a text
    tags: list[str] | None = None
    status: str | None = None  # ok, error
    error: Any = None
    model: str | None = None
    provider: str | None = None
    usage: dict[str, Any] | None = None  # input_tokens, output_tokens, total_tokens
    latency_ms: float | None = None
    thread_id: str | None = None
    id: str = ""  # the span's key: "<vendor>:<entity>:<id>"
    origin: dict[str, Any] = field(default_factory=dict)

    @property
    def entity_ref(self) -> Ref | None:
        return self.span_id if self.entity == "span" else self.trace_id

    @property
    def name_key(self) -> None:
        return None

    def present(self) -> dict[str, Any]:
        return {f: v for f in SPAN_FIELDS if (v := getattr(self, f)) is not None and f not in ("origin", "id")}


SPAN_FIELDS = tuple(f.name for f in dataclasses.fields(Span))
KINDS = {"assessment": Assessment, "span": Span}


def span_key(vendor: str, kind: str, value) -> str:
    """The key a span (or trace) is kept under: the vendor it came from, its kind, its id there."""
    return f"{vendor}:{kind}:{value}"


def subject_key(rec) -> str | None:
    """The key of the span (or else trace) a piece of feedback is about: what it may wait for."""
    if isinstance(rec, Span):
        return None
    ref, kind = (rec.span_id, "span") if rec.span_id is not None else (rec.trace_id, "trace")
    return span_key(ref.vendor, kind, ref.value) if ref is not None else None


def _copier(cls, fields: tuple[str, ...]):
    """`replace` for one class, as straight-line code: a copy of every slot, then the changes.
    dataclasses.replace re-runs __init__ through keyword arguments: 9 µs a record against
    1.3 µs here, and the pipeline copies each record two or three times."""
    lines = [
        "def copy(rec, changes):",
        "    new = new_object(cls)",
        *[f"    new.{f} = rec.{f}" for f in fields],
        "    for name, value in changes.items():",
        "        set_field(new, name, value)",
        "    return new",
    ]
    scope = {"new_object": object.__new__, "cls": cls, "set_field": setattr}
    return define("copy", lines, scope, f"copy of {cls.__name__}"), frozenset(fields)


_COPIERS = {Assessment: _copier(Assessment, FIELDS), Span: _copier(Span, SPAN_FIELDS)}


def replace(rec, **changes):
    """A copy of a canonical record with some fields changed (as dataclasses.replace)."""
    copy, names = _COPIERS[type(rec)]
    if not names.issuperset(changes):
        raise TypeError(f"{type(rec).__name__} has no field {sorted(set(changes) - names)[0]!r}")
    return copy(rec, changes)


@dataclass(slots=True)
class OutRequest:
    """One request to send to an upstream, already in its wire format."""

    method: str
    path: str  # relative to the upstream's base_url, percent-encoded
    body: Any = None  # JSON-able, or None for no body
    query: dict[str, str] | None = None
    endpoint: str = ""  # the mapping endpoint it was encoded for
    records: list[Assessment] = field(default_factory=list)  # what it carries
    item_records: list | None = None  # a grouped request: the record of each item of its array, in order


@dataclass(slots=True)
class Reply:
    """An answer to a client, in the client's vendor shape."""

    status: int
    body: Any = None  # JSON-able, bytes, or None
    headers: dict[str, str] = field(default_factory=dict)
