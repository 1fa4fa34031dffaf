"""A few thousand Opik traces with scores and comments, back-filled into Scale: the job is
killed (SIGKILL) mid-way, resumed from its checkpoint, and Scale holds every trace, score
and comment exactly once, field by field."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import threading
import time
from collections import Counter

from starlette.responses import StreamingResponse

from proxy.backfill.checkpoint import job_key
from proxy.store.sqlite import SQLiteStore
from tests.conftest import wait_for

from .conftest import (
    PROJECT,
    as_key,
    backfill_process,
    expected_at_scale,
    outbox_settled,
    scale_assessments,
    scale_spans_sent,
    seed_opik,
    write_config,
)

TRACES = 2000  # two scores each, a comment on every tenth: 4,200 assessments and 2,000 root spans at Scale
PAGE = 100  # the history file's page size for Opik


def hold_page(history, page: int, released: threading.Event) -> None:
    """The fake Opik answers that page of traces only once `released` is set (without
    blocking its own event loop: the body is streamed when released)."""
    serve = history.serve

    def held(method, path, query):
        out = serve(method, path, query)
        if out is not None and path.endswith("/traces") and query.get("page") == str(page) and not released.is_set():
            return StreamingResponse(_when_released(released, out.body), media_type="application/json")
        return out

    history.serve = held


async def _when_released(released: threading.Event, body: bytes):
    while not released.is_set():
        await asyncio.sleep(0.02)
    yield body


def saved_checkpoint(tmp_path) -> dict:
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    try:
        return json.loads(store.checkpoint(job_key("opik", "scale", PROJECT, None, None)) or "{}")
    finally:
        store.close()


def saved_tally(tmp_path) -> dict:
    return saved_checkpoint(tmp_path).get("tally", {"written": 0})


def test_a_few_thousand_traces_arrive_once_through_a_kill_and_a_resume(fakes, tmp_path):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, TRACES)
    released = threading.Event()
    hold_page(opik.vendor.history, 8, released)
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, timeout=60)
    started = time.monotonic()

    first = backfill_process(cfg, "--from", "opik", "--to", "scale", "--project", PROJECT)
    try:
        # pages 1-7 (the 700 newest traces) committed and delivered; page 8 asked for and held
        done = 7 * PAGE * 2 + 7 * PAGE // 10
        wait_for(
            lambda: (
                len(scale_assessments(scale.vendor)) >= done
                and len(scale_spans_sent(scale.vendor)) >= 7 * PAGE
                and any(r.query.get("page") == "8" for r in opik.vendor.received)
            ),
            timeout=60,
            what="pages 1-7 at Scale",
        )
        # pages 1-7 settled, and nothing else is queued (the reader waits for page 8); the checkpoint counts them
        outbox_settled(f"sqlite:///{tmp_path}/proxy.db")
        wait_for(
            lambda: saved_tally(tmp_path).get("written") == done + 7 * PAGE, what="the checkpoint's count of pages 1-7"
        )
        assert (len(scale_assessments(scale.vendor)), len(scale_spans_sent(scale.vendor))) == (done, 7 * PAGE)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    released.set()
    assert first.returncode == -signal.SIGKILL

    saved = saved_checkpoint(tmp_path)
    newest_first = tids[::-1]
    assert (saved["listing"], saved["state"], saved["last"], saved["read_done"]) == (
        0,
        {"page": 8},
        newest_first[7 * PAGE - 1],
        False,
    )
    assert saved["tally"]["written"] == done + 7 * PAGE and saved["tally"]["items"] == {"traces": 700}

    second = backfill_process(
        cfg, "--from", "opik", "--to", "scale", "--project", PROJECT
    )  # its own process, as a user's
    out, err = second.communicate(timeout=120)
    seconds = time.monotonic() - started
    assert second.returncode == 0, out + err
    print("\n" + out.splitlines()[0])
    assert f"resumed at   traces, page 8 (the last item committed: {newest_first[7 * PAGE - 1]})" in out
    assert re.search(r": complete \(.*run 2\)", out)

    # exactly once, field by field
    spans, assessments = expected_at_scale(opik.vendor.history, tids)
    got = Counter(as_key(a) for a in scale_assessments(scale.vendor))
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    sent_spans = scale_spans_sent(scale.vendor)
    print(
        f"\n{TRACES} traces, {sum(assessments.values())} scores and comments, {len(sent_spans)} spans sent, "
        f"{seconds:.1f} s with a kill and a resume, {duplicates} duplicate(s)"
    )
    assert duplicates == 0 and got == assessments
    assert len(sent_spans) == TRACES and {s["id"]: s for s in sent_spans} == spans
    assert len(scale.vendor.assessments) == 4200  # Scale's own store: one assessment each
    assert "  read         2,000 traces, 0 spans in 21 page(s) (the source has 2,000)" in out, out
    assert "  records      2,000 traces, 4,000 trace scores, 200 trace comments\n" in out
    assert "  queued       6,200 for scale" in out and "  written      6,200 to scale" in out
    assert (
        "  present      0 already at scale" in out
        and "  waiting      0 in the outbox" in out
        and "  dead letters 0" in out
    )
    # what it could not carry, counted, with the reason
    assert "  fields lost  (how many, what, where, why):\n" in out
    assert re.search(
        r"\n +2,000  dropped  traces: duration +at read: computed by Opik from start and end time\n", out
    ), out
    assert re.search(r"\n +200  dropped  traces: comments\[\*\]\.created_by +at read: ", out), out
