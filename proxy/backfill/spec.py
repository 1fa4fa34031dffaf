"""The shape of a vendor's history file (`proxy/vendors/<vendor>/history.yaml`): how its read
API pages through past traces, spans and feedback, and which live write request each item
read would have been. The vendor's own mapping then decodes that request exactly as it
decodes live traffic, so a back-filled record is the record live traffic would have made.

    vendor: opik
    notes: [...]                        # what the read API cannot give, said in every summary
    lists:
      - name: traces
        read:   {method, path, query, headers, body, items}    # one page of items
        paging: {style: page|cursor, param, size, limit, next, more, total}
        follow: {method, path, params, query, items, when}     # per item: more to read (optional)
        item_id: item.id                                       # where an item's id is (a list: the first present)
        writes: [{endpoint, name, each, group, params, body, key, known_as, at}]
        ignored: {read field: why no write takes it}

Rules are the mapping files' rules (proxy/mapping/rules.py) over the roots `ctx` (the job:
project, since, until), `item` (one item read) and `each` (an element of `each`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import vendors, yamlsrc
from ..errors import ConfigError
from ..mapping.conditions import Condition
from ..mapping.rules import Rule


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Call(Strict):
    """One request to the source vendor's read API."""

    method: str = "GET"
    path: str  # relative to the upstream's base_url; {name} filled from `params`
    params: dict[str, Rule] = {}
    query: dict[str, Rule] = {}
    headers: dict[str, Rule] = {}
    body: dict[str, Rule] | None = None
    items: str | None = None  # where the answer's items are (`answer.content`); none: the answer is one item
    when: dict[str, Condition] = {}  # a follow: only for the items where this holds
    name: str | None = None  # a follow: what the summary calls what it reads
    whole: bool = False  # a follow that reads the item itself, whole: its answer stands for the item


class Paging(Strict):
    style: Literal["page", "cursor"]
    param: str  # the query parameter naming the page number or the cursor
    size: str  # the query parameter of the page size
    limit: int = Field(100, ge=1, le=1000)
    next: str | list[str] | None = (
        None  # cursor: where the next one is (`answer.nextCursor`, `last.id`: the page's last item)
    )
    more: str | None = None  # whether more pages follow (`answer.has_more`)
    total: str | None = None  # how many items there are in all (`answer.total`), for the ETA


class Write(Strict):
    """The live write request one item read (or each element of it) would have been."""

    endpoint: str  # an endpoint of the vendor's mapping: its decode takes the request
    name: str | None = None  # what the summary calls these records ("trace scores")
    each: str | None = None  # `item.feedback_scores`: one element per array element; `follow`: per followed item
    group: str | None = None  # a page's elements go in one request, as the body's array `group`
    params: dict[str, Rule] = {}
    body: dict[str, Rule] = {}  # one element's body
    key: Rule | None = None  # what makes it the same record whenever it is read: its record id derives from it
    known_as: Rule | None = None  # the source's own id of it: a record the proxy accepted under that id keeps its id
    at: Rule | None = None  # when it happened: the record's created_at, and the decode's `now`


class Listing(Strict):
    name: str
    read: Call
    paging: Paging
    follow: Call | None = None
    item_id: str | list[str] = "item.id"  # where a read item's own id is (a list: the first present), for the record
    writes: list[Write]
    ignored: dict[
        str, str
    ] = {}  # a read field (`feedback_scores[*].created_by`, or its last name) -> why it is not carried


class History(Strict):
    vendor: str
    notes: list[str] = []
    lists: list[Listing]


def history_path(vendor: str, mappings_dir: str | None = None) -> Path | None:
    """The vendor's history file: in `history/` beside the mappings in use when there is one,
    else the one in its vendor folder (proxy/vendors/<vendor>/history.yaml); None when it has none."""
    own = Path(mappings_dir) / "history" if mappings_dir else None
    if own is not None and own.is_dir():
        path = own / f"{vendor}.yaml"
        return path if path.is_file() else None
    return vendors.get(vendor).history if vendor in vendors.names() else None


def load_history(vendor: str, mappings_dir: str | None = None) -> History:
    path = history_path(vendor, mappings_dir)
    if path is None:
        raise ConfigError(f"no history file for {vendor!r}: the back-fill cannot read that vendor")
    history = yamlsrc.load_model(path, History)
    if history.vendor != vendor:
        raise ConfigError(f"{path}: vendor: says {history.vendor!r}, expected {vendor!r}")
    return history
