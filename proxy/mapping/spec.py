"""The shape of a vendor mapping file (`proxy/vendors/<vendor>/mapping.yaml`), validated by pydantic.

    vendor: tracia
    prefixes: [""]                      # path prefixes the vendor is served under
    auth: {header: authorization, scheme: Bearer}
    error: tracia.error_body            # codec function that shapes an error body
    endpoints:
      evaluate:
        method: POST
        path: /api/v1/spans/{spanId}/evaluations
        decode:   {each?, items?, fields: {canonical: rule},
                   checks?: {name: rule, status?, message?}, ignored?, uncarry?}
        also_decode: [{...as decode}]   # more decodes of the same request: other kinds of records (OTLP)
        wire:     {request?, reply?, send?}  # codec functions for a body that is not JSON (Wire)
        respond:  {status, body?: {wire: rule}, headers?: {name: rule}, each?: key, where?: {wire: rule}}
        encode:   [{accepts, when?, params?, query?, body?, each?, group?, lost?, skip?}, ...]
        learn:    {name: rule}          # ids to remember from this vendor's own answer
        creates:  true                  # each call makes a new object: not idempotent
        reconcile: {list, query, items, match}  # how to find what such a create made (spec.Reconcile)

Rules are described in `rules.py`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import vendors
from ..errors import ConfigError
from ..model import FIELDS
from .conditions import Condition
from .rules import Rule


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Check(Rule):
    """A check rule; with `status` (and its `message`) a refusal answers with that status and
    message instead of a 422 naming the field, once the request breaks no other rule
    (refusals.py). E.g. Scale's 400 for a list that names neither a trace nor a span."""

    status: int | None = Field(default=None, ge=400, le=499)
    message: str | None = None

    @model_validator(mode="after")
    def _status_and_message(self) -> Check:
        if (self.status is None) != (self.message is None):
            raise ValueError("a check's status and message go together: give both, or neither")
        return self


class Decode(Strict):
    record: str = "assessment"  # what it makes: "assessment" or "span"
    each: str | None = None  # an array in the body: one record per element (`item.` reads it); an object: one
    items: Rule | None = None  # constraints on that array (required, min_items, max_items)
    fields: dict[str, Rule]  # canonical field -> rule
    checks: dict[str, Check] = {}  # wire fields validated but carried nowhere (name -> rule)
    ignored: dict[str, str] = {}  # wire field -> why it is not carried
    uncarry: str | None = None  # canonical text field that may hold carried fields (carry.py)
    overwrites: bool = False  # a record replaces an earlier one with the same entity and name (Opik)
    # An element that breaks a rule is refused alone: the others are accepted and the reply can
    # list both (ctx.accepted, ctx.rejected: [index, element(, violations)]), as a 207 does.
    partial: bool = False
    missing_ok: bool = False  # an update or removal of an id the proxy never accepted: answered as done, nothing sent
    list_body: bool = False  # with `each: body`: the body may also be a list of such objects (ctx.listed says it was)
    # Elements of different kinds in one list: the first case whose `when` holds decodes an element
    # (its record, fields, checks); `fields` above is then what every case shares.
    cases: list[DecodeCase] = []
    # canonical fields that identify a record: the same values on any request are the same record
    # (its id made from them), however close together two requests carrying it come (OTel's results)
    key: list[str] = []

    @field_validator("key")
    @classmethod
    def _key_fields(cls, v: list[str]) -> list[str]:
        unknown = [f for f in v if f not in FIELDS or f in ("id", "origin")]
        if unknown:
            raise ValueError(f"key: {unknown[0]!r} is not a canonical field that can identify a record")
        return v


class DecodeCase(Strict):
    when: dict[str, Condition] = {}  # conditions on the element (item.) or the request
    record: str = "assessment"
    fields: dict[str, Rule]
    checks: dict[str, Rule] = {}
    ignored: dict[str, str] = {}


class Group(Strict):
    into: str  # body key of the array the items go in
    max: int = 1000
    body: dict[str, Rule] = {}  # request-level fields beside the array


class EncodeCase(Strict):
    accepts: dict[str, Condition] = {}  # conditions on the canonical record
    when: dict[str, Condition] = {}  # conditions on anything (rec., ctx.)
    params: dict[str, Rule] = {}  # path template parameters
    query: dict[str, Rule] = {}
    body: dict[str, Rule] | None = None
    each: str | None = None  # fan out over a record field (dict items or list elements)
    group: Group | None = None  # many records -> one request
    lost: dict[str, str] = {}  # canonical field -> why this vendor cannot hold it
    note: str | None = None
    also: bool = False  # the record goes on to the next case that takes it too (one record, two requests)
    reuse: str | None = None  # body: what this vendor's encoder makes for the record as an upsert...
    omit: list[str] = []  # ...less these keys (e.g. an update that cannot move an assessment)
    skip: str | None = (
        None  # settle the record without sending anything, for this reason (e.g. Tracia takes a span once)
    )


class Respond(Strict):
    status: int
    when: dict[str, Condition] = {}  # in `cases`: when this answer is the one (ctx.listed, ctx.rejected, rec.)
    cases: list[Respond] = []  # answers tried first, in order: the first whose `when` holds is given
    encoded: bool = False  # start from the body this vendor's own encoder makes for the record
    body: dict[str, Rule] | None = None
    headers: dict[str, Rule] = {}
    each: str | None = None  # the body is {each: [one body per record], **list_body}
    list_body: dict[str, Any] = {}
    where: dict[
        str, Rule
    ] = {}  # a list keeps the items whose wire key equals what the rule reads from the request's record (where.py)

    @model_validator(mode="after")
    def _where_needs_a_list(self) -> Respond:
        if self.where and self.each is None:
            raise ValueError("where: filters the items of a list: it needs each")
        return self


class Reconcile(Strict):
    """How to find, at the vendor, what a create that may have arrived already made (a crash
    between its send and the bookkeeping), so it is adopted instead of made twice."""

    list: str  # this vendor's endpoint that lists such objects (its method and path are used)
    query: dict[str, str]  # the list's query parameter -> the key of the create's body that gives its value
    items: str = "items"  # the key of the list's answer that holds the objects
    match: list[str]  # keys of the create's body: an object matches when it holds each one the create sent, as sent


class Rejects(Strict):
    """Where a 2xx answer to a batch names the items it refused (a 207): those records are dead
    letters with its message, the others delivered."""

    items: str  # the key of the answer that lists the refused items
    id: str = "id"  # the key of a refused item naming the sent item
    key: str = "id"  # the key of a sent item (in the group's array) it names
    message: list[str] = ["message"]  # the keys of a refused item that say why, joined


class Wire(Strict):
    """An endpoint whose wire is not JSON (OTLP's protobuf, or JSON that only a codec reads right):
    codec functions, named "<codec>.<function>" as a rule's `fn:` and pure as they are, that the
    engine calls where it would read or write JSON. Each is optional; without one, JSON.

      request: (raw: bytes, headers: dict, limits) -> the body the decode rules read (`body.`).
               `raw` is inflated and within the size limits; `headers` have lower-case names;
               `limits` are the config's (depth, items, string length) for what it parses.
               A body it cannot read raises a RequestError (BadRequest 400, UnsupportedMediaType
               415, ...), answered as any other, in the vendor's `error:` shape.
      reply:   (reply: Reply, request: WireRequest) -> the Reply on the client's wire. Every answer
               of the endpoint goes through it, errors too; `request.body` is what `request` read
               (None when the request failed before it was read).
      send:    (body, options: dict) -> (bytes, content type): the body of a request to an
               upstream of this vendor, from what the endpoint's `encode` built; `options` is the
               upstream's `options:` in the config (e.g. an encoding to choose).
    """

    request: str | None = None
    reply: str | None = None
    send: str | None = None

    @field_validator("request", "reply", "send")
    @classmethod
    def _fns(cls, v: str | None) -> str | None:
        return codec_fn(v) if v is not None else v


class Endpoint(Strict):
    method: str
    path: str
    error: str | None = None  # "<codec>.<function>": this endpoint's own error shape, where it is not the vendor's
    rejects: Rejects | None = None
    op: str | None = None  # what it does when it is not decoded (read, list, ping)
    decode: Decode | None = None
    also_decode: list[Decode] = []  # more records from the same request, of other kinds (decode's first, then these)
    wire: Wire | None = None  # codec functions for a body that is not JSON (Wire)
    respond: Respond | None = None
    encode: list[EncodeCase] = []
    learn: dict[str, Rule] = {}
    creates: bool = False  # each call makes a new object (not idempotent): marked before it is sent (README, Delivery)
    reconcile: Reconcile | None = None  # how to look for what such a create made, before sending it again

    @field_validator("error")
    @classmethod
    def _error_fn(cls, v: str | None) -> str | None:
        return codec_fn(v) if v is not None else v

    @property
    def decodes(self) -> list[Decode]:
        """decode, then also_decode (none: the endpoint carries no feedback)."""
        return [] if self.decode is None else [self.decode, *self.also_decode]

    @model_validator(mode="after")
    def _also_after_a_decode(self) -> Endpoint:
        if self.also_decode and self.decode is None:
            raise ValueError("also_decode: comes after a decode: give the first as decode")
        return self

    @model_validator(mode="after")
    def _reconcile_a_create(self) -> Endpoint:
        if self.reconcile is not None and not self.creates:
            raise ValueError("reconcile: reads back what a create made: the endpoint needs creates: true")
        return self


class Scoped(Strict):
    """A second way to present a key, with less access: taken on `endpoints` only, a 403 elsewhere
    (Langfuse's `Bearer <public key>`, for scores from a browser). A client presents it this way
    with one of its `scoped_keys`."""

    scheme: str
    endpoints: list[str]


class Auth(Strict):
    header: str
    scheme: str = ""  # "Bearer" -> "Authorization: Bearer <key>"
    # scheme Basic: which half of base64(user:password) is the client's key
    basic: Literal["user", "password"] | None = None
    scoped: Scoped | None = None


class Retries(Strict):
    """How this vendor's clients mark a repeated create as a retry: only a retry gets the first
    answer within `dedupe_window` (README); an identical new call is a new record."""

    key_header: str | None = "idempotency-key"  # a client's key of its own: the same key is the same request
    count_header: str | None = None  # the attempt: "0" the first, n the n-th retry (Stainless: x-stainless-retry-count)
    unmarked: bool = False  # its SDK retries creates with no mark: an identical POST within the window is a retry

    @field_validator("key_header", "count_header")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else None  # the pipeline's header names are lower-case


def codec_fn(name: str) -> str:
    """`name` if it names a codec function (a validator's check), else the ValueError saying why."""
    try:
        vendors.function(name)
    except ConfigError as exc:
        raise ValueError(exc.message) from None
    return name


Decode.model_rebuild()
Respond.model_rebuild()
