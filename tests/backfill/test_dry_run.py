"""--dry-run: nothing is written (not at the target, not in the store), and it prints the
requests the target would get, each write's loss report, and the summary of what would be
queued and what is already there."""

from __future__ import annotations

import json
import sqlite3

from .conftest import PROJECT, backfill, seed_opik, write_config

ARGS = ("--from", "opik", "--to", "scale", "--project", PROJECT)


def rows(db: str, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_dry_run_writes_nothing_and_shows_what_would_be_written_and_lost(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 30)
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS, "--dry-run")
    assert code == 0, out
    assert scale.vendor.received == []
    db = str(tmp_path / "proxy.db")
    assert [rows(db, t) for t in ("outbox", "records", "spans", "ids", "checkpoints", "delivered")] == [
        0,
        0,
        0,
        0,
        0,
        0,
    ]
    assert "dry run: nothing was written; 93 record(s) would be queued for scale" in out
    lines = out.splitlines()
    first_span = json.loads(lines[lines.index("scale upsert_spans: the first 1 request(s)") + 1])
    assert (first_span["method"], first_span["path"], len(first_span["body"]["items"])) == (
        "PUT",
        "/v5/spans/batch",
        30,
    )
    creates = [json.loads(x) for x in lines[lines.index("scale create: the first 3 request(s)") + 1 :][:3]]
    assert creates[0] == {
        "method": "POST",
        "path": "/v5/span-assessments",
        "body": {
            "trace_id": tids[-1],
            "assessment_type": "metadata",
            "comment": "checked 29",
            "metadata": {"name": "accuracy", "value": 0.9, "source": "sdk", "project": PROJECT},
        },
    }
    assert "loss report: opik traces_scores (trace scores: the one read with the most fields) -> scale" in out
    assert "  kept     body.scores[*].reason        -> comment -> comment" in out and "6 kept, 0 lost or dropped" in out
    assert "  to write     93 for scale" in out and "  written" not in out and ": dry run (" in out


def test_a_dry_run_after_the_back_fill_finds_everything_present(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    seed_opik(opik.vendor.history, 12)
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    assert backfill(capsys, cfg, *ARGS)[0] == 0
    sent = len(scale.vendor.received)
    code, out = backfill(capsys, cfg, *ARGS, "--dry-run")
    assert (
        code == 0 and "0 record(s) would be queued" in out and "present      38 already at scale as they are" in out
    ), out
    assert "would be skipped" in out and len(scale.vendor.received) == sent
