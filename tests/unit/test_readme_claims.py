"""What the README's "What maps to what" table says a mapping does, read against the mapping."""

from __future__ import annotations

from pathlib import Path

import yaml

from proxy import vendors

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_names_the_names_a_scale_approval_is_made_from():
    """Only a 0/1 value named as the Scale mapping's approval case says becomes an approval; the
    README's value row names exactly those names (a Tracia `helpfulness` of 1 is not one)."""
    cases = yaml.safe_load(vendors.get("scale").mapping.read_text())["endpoints"]["create"]["encode"]
    [case] = [c for c in cases if c["body"].get("assessment_type") == {"const": "approval"} and "value" in c["accepts"]]
    names = [n for n in case["when"]["rec.name"]["in"] if n is not None]
    [row] = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| value |")]
    scale_cell = row.split("|")[4]
    assert names == ["quality", "approval"]
    assert f"named `{names[0]}` or `{names[1]}`" in scale_cell, scale_cell
