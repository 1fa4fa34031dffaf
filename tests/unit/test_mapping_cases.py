"""Mapping cases written as YAML (`vector test` style): an input request for one
vendor, and the exact requests another vendor gets (or why it gets none).

    name: ...
    from: opik                  # the client's vendor
    to: tracia                  # the upstream's vendor
    registry: [{vendor, id, to, native}]   # ids the registry already knows (optional)
    given: {trace_id: ...}      # fields the resolver adds, in the client's id space (optional; also span_id, and
                                # root_span_id: a root span the target has had delivered already)
    input: {method, path, body, query?}
    expect: [{method, path, body}]
    refused: [reason, ...]      # one per refused record (optional)
"""

import dataclasses
from pathlib import Path

import pytest
import yaml

from proxy import vendors
from proxy.model import Ref, span_key
from proxy.store import MemoryStore

from .support import decode, encode, reasons, wire

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
ALLOWED = {"name", "from", "to", "registry", "given", "input", "expect", "refused"}


def load(path: Path) -> dict:
    case = yaml.safe_load(path.read_text())
    assert set(case) <= ALLOWED and {"name", "from", "to", "input", "expect"} <= set(case), (
        f"{path.name}: keys {sorted(case)}"
    )
    return case


def run(case: dict):
    store = MemoryStore()
    for known in case.get("registry", []):
        store.remember_id(known["vendor"], known["id"], known["to"], known["native"])
    refs = ("trace_id", "span_id", "root_span_id")
    given = {k: Ref(case["from"], v) if k in refs else v for k, v in (case.get("given") or {}).items()}
    inp = case["input"]
    records = decode(case["from"], inp["method"], inp["path"], inp.get("body"), inp.get("query"))
    records = [dataclasses.replace(r, **given) for r in records]
    if "root_span_id" in given:
        store.mark_delivered(case["to"], [(span_key(case["from"], "span", given["root_span_id"].value), "delivered")])
    return encode(case["to"], records, store)


def test_the_cases_cover_every_ordered_pair_of_vendors():
    pairs = {(load(p)["from"], load(p)["to"]) for p in CASES}
    assert pairs == {(a, b) for a in vendors.names() for b in vendors.names()}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_mapping_case(path):
    case = load(path)
    requests, refused = run(case)
    expected = [(e["method"], e["path"], e.get("body")) for e in case["expect"]]
    assert wire(requests) == expected, case["name"]
    assert reasons(refused) == case.get("refused", []), case["name"]
