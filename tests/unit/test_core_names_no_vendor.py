"""The core knows no vendor by name (README, Architecture).

The core is every module under proxy/ except the vendors' own folders, proxy/vendors/<name>/
(mapping.yaml, history.yaml, codec.py, fake.py, profile.yaml, fixtures/): the registry
(proxy/vendors/__init__.py), the vendor-neutral codecs (proxy/codecs/) and the fake upstreams'
recorder (proxy/testing*.py) are core too.

The check reads the code of each core module: its names and its string literals, not its
comments and docstrings (which may give a vendor as an example of what the code does in
general). A vendor word is the name of a vendor mapping, or one of the distinctive words of
a vendor's wire (its ids, fields and headers) below. One exception, and only lower case:
`scale` is also a word of the canonical model (Assessment.scale: the range a value was
given on), so the exact lower-case name `scale` is the model's and is not reported; `Scale`
and `SCALE`, and every other vendor's name, are. The store codec keeps one word (KEPT, below).
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from pathlib import Path

from proxy import vendors
from proxy.model import Assessment, Span

ROOT = Path(__file__).resolve().parents[2]
PROXY = ROOT / "proxy"
VENDORS = vendors.names()
OTHER_VENDORS = ["comet", "stainless", "sgp", "egp"]  # vendors, and vendors' SDK makers, named in the docs
WIRE_WORDS = [  # distinctive words of a vendor's wire: its field, id and header names
    "assessment_id",
    "spanId",
    "evaluatorKey",
    "feedback_scores",
    "category_name",
    "x-selected-account-id",
    "x-stainless",
    "Comet-Workspace",
    "x-project-id",
    "span_assessment",
    "value_by_author",
    "observationId",
    "datasetRunId",
    "sk-lf",
    "pk-lf",
]
# The one vendor word the core keeps, and why: a store written before Assessment.vendor_id was
# renamed holds it under its old name, and a process of either version must read the other's.
KEPT = {("proxy/store/codec.py", "assessment_id")}
# A protocol's own words, where the protocol's package speaks it: OTLP names its ids traceId,
# spanId and parentSpanId (as one vendor's wire also does); proxy/otlp/ names no vendor otherwise.
PROTOCOL = {("proxy/otlp/", "spanId")}
MODEL_WORDS = {f.name for cls in (Assessment, Span) for f in dataclasses.fields(cls)}


def core_modules() -> list[Path]:
    out = []
    for path in sorted(PROXY.rglob("*.py")):
        rel = path.relative_to(PROXY)
        if rel.parts[0] == "vendors" and len(rel.parts) > 2:  # proxy/vendors/<name>/...: a vendor's own folder
            continue
        out.append(path)
    return out


def _docstring_lines(source: str) -> set[int]:
    """The first line of every docstring (the string token that starts there is prose)."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.add(first.lineno)
    return lines


def _parts(text: str) -> list[str]:
    """An identifier's or a text's words: split at anything not a letter or digit, and at camelCase."""
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", text)


def vendor_words_in(text: str) -> list[str]:
    found = []
    for part in _parts(text):
        low = part.lower()
        if low in VENDORS or low in OTHER_VENDORS:
            if not (part == low and low in MODEL_WORDS):
                found.append(part)
    lowered = text.lower()
    found += [w for w in WIRE_WORDS if w.lower() in lowered]
    return found


def findings(path: Path) -> list[str]:
    source = path.read_text()
    docstrings = _docstring_lines(source)
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.start[0] in docstrings:
            continue
        if tok.type not in (tokenize.NAME, tokenize.STRING):
            continue
        for word in vendor_words_in(tok.string):
            rel = str(path.relative_to(ROOT))
            if (rel, word) in KEPT or any(rel.startswith(where) and word == w for where, w in PROTOCOL):
                continue
            out.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {word!r} in {tok.string[:60]!r}")
    return out


def test_the_word_list_knows_the_vendors():
    assert VENDORS == ["langfuse", "opik", "otel", "scale", "tracia"]
    assert vendor_words_in("opik_batch") == ["opik"] and vendor_words_in('"Tracia span"') == ["Tracia"]
    assert (
        vendor_words_in("rec.scale") == []
        and vendor_words_in("_record_scale") == []
        and vendor_words_in("rescale") == []
    )
    assert vendor_words_in('"Scale EGP"') == ["Scale", "EGP"]
    assert vendor_words_in('req.headers.get("x-selected-account-id")') == ["x-selected-account-id"]
    assert vendor_words_in("learned['assessment_id']") == ["assessment_id"]


def test_the_core_is_what_the_readme_says():
    names = {str(p.relative_to(ROOT)) for p in core_modules()}
    assert "proxy/pipeline.py" in names and "proxy/store/sqlite.py" in names and "proxy/backfill/reader.py" in names
    assert {
        "proxy/vendors/__init__.py",
        "proxy/codecs/__init__.py",
        "proxy/codecs/core.py",
        "proxy/testing.py",
    } <= names
    assert not any(n.startswith(f"proxy/vendors/{v}/") for n in names for v in VENDORS)


def test_no_core_module_names_a_vendor():
    found = [f for path in core_modules() for f in findings(path)]
    assert not found, "vendor words in the core:\n" + "\n".join(found)
