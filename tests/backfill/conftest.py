"""Back-fill tests: fake vendors (proxy/testing.py) seeded with paged history, a config
naming them, and the `backfill` command run in this process or in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from proxy import ids
from proxy.cli import main
from proxy.store import open_store
from proxy.testing import FakeServer, FakeVendor
from tests.conftest import BASE_PATHS, FAST_DELIVERY, UPSTREAM_HEADERS, wait_for

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PROJECT = "support-bot"
SCORE_NAMES = ("accuracy", "helpfulness")


@pytest.fixture
def fakes():
    """fakes(vendor, ...) -> running FakeServers, fresh for this test, stopped after it."""
    running: list[FakeServer] = []

    def start(*vendors: str) -> list[FakeServer]:
        servers = [FakeServer(FakeVendor(v)).__enter__() for v in vendors]
        running.extend(servers)
        return servers

    yield start
    for s in running:
        s.__exit__(None, None, None)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def seed_opik(
    history, traces: int, comment_every: int = 10, project: str = PROJECT, start: datetime = START
) -> list[str]:
    """`traces` traces a minute apart, each with two scores (one with a category), every
    `comment_every`-th with a comment; returns their ids, oldest first."""
    out = []
    for i in range(traces):
        at = start + timedelta(minutes=i)
        tid = ids.uuid7(int(at.timestamp() * 1000))
        history.put_trace(
            {
                "id": tid,
                "project_name": project,
                "name": f"chat-{i}",
                "start_time": iso(at),
                "end_time": iso(at + timedelta(seconds=2)),
                "input": {"q": f"question {i}"},
                "output": {"a": f"answer {i}"},
                "metadata": {"turn": i},
                "tags": ["prod"],
            }
        )
        history.put_score(
            "trace", tid, {"name": "accuracy", "value": (i % 10) / 10, "source": "sdk", "reason": f"checked {i}"}
        )
        history.put_score(
            "trace", tid, {"name": "helpfulness", "value": 1.0, "source": "ui", "category_name": "helpful"}
        )
        if comment_every and i % comment_every == 0:
            history.add_comment("trace", tid, f"look at turn {i}")
        out.append(tid)
    return out


def write_config(
    tmp_path: Path,
    servers: dict[str, FakeServer],
    routes: list | None = None,
    store: str | None = None,
    timeout: float = 5,
    **extra,
) -> Path:
    ups = {
        name: {
            "vendor": s.vendor.name,
            "base_url": s.url + BASE_PATHS[s.vendor.name],
            "headers": UPSTREAM_HEADERS[s.vendor.name],
            "timeout": timeout,
        }
        for name, s in servers.items()
    }
    cfg = {
        "upstreams": ups,
        "routes": routes or [{"from": "*"}],
        "store": store or f"sqlite:///{tmp_path}/proxy.db",
        "delivery": {**FAST_DELIVERY, "concurrency": 8},
        **extra,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def outbox_settled(store_url: str, timeout: float = 30) -> None:
    """Wait until nothing waits in the outbox of the store at `store_url` (a back-fill process's,
    read from this one): every record queued so far is delivered or a dead letter."""
    store = open_store(store_url)
    try:
        wait_for(lambda: not store.depth(), timeout=timeout, what=f"the outbox of {store_url} to be settled")
    finally:
        store.close()


def backfill(capsys, config: Path, *args: str) -> tuple[int, str]:
    """The command in this process: (exit code, what it printed)."""
    code = main(["backfill", "--config", str(config), "--quiet", *args])
    return code, capsys.readouterr().out


def backfill_process(config: Path, *args: str) -> subprocess.Popen:
    """The command in a child process (to interrupt it), its output in pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "proxy", "backfill", "--config", str(config), "--quiet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def scale_assessments(scale) -> list[dict]:
    """Every assessment create the fake Scale received."""
    return scale.bodies("POST", r"^/v5/span-assessments$")


def expected_at_scale(history, trace_ids: list[str], project: str = PROJECT) -> tuple[dict[str, dict], Counter]:
    """What Scale should hold for seeded Opik traces: each trace as its root span, and each
    score and comment as one assessment (bodies, as a multiset)."""
    spans, assessments = {}, Counter()
    for tid in trace_ids:
        t = history.entities["traces"][tid]
        spans[tid] = {
            "id": tid,
            "trace_id": tid,
            "name": t["name"],
            "type": "TRACER",
            "start_timestamp": t["start_time"],
            "end_timestamp": t["end_time"],
            "input": t["input"],
            "output": t["output"],
            "metadata": {**t["metadata"], "tags": t["tags"], "project": project},
            "status": "SUCCESS",
        }
        for s in history.scores.get(("trace", tid), {}).values():
            meta = {
                "name": s["name"],
                "value": s["value"],
                **({"label": s["category_name"]} if s.get("category_name") else {}),
                "source": s["source"],
                "project": project,
            }
            assessments[
                as_key(
                    {
                        "trace_id": tid,
                        "assessment_type": "metadata",
                        "metadata": meta,
                        **({"comment": s["reason"]} if s.get("reason") else {}),
                    }
                )
            ] += 1
        for c in history.comments.get(("trace", tid), []):
            assessments[as_key({"trace_id": tid, "assessment_type": "comment", "comment": c["text"]})] += 1
    return spans, assessments


def as_key(body: dict) -> str:
    return json.dumps(body, sort_keys=True)


def scale_spans_sent(scale) -> list[dict]:
    """Every span item the fake Scale received in span batches, in order."""
    return [item for body in scale.bodies("PUT", r"^/v5/spans/batch$") for item in body["items"]]
