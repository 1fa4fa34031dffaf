"""Stopping and resuming: a source that refuses a page stops the job there; the same command
resumes from the checkpoint; a finished job says so; --restart reads everything again and
sends nothing twice. On SQLite and PostgreSQL. (Ctrl-C: test_ctrl_c.py.)"""

from __future__ import annotations

import signal
import threading
from collections import Counter

import pytest

from tests.conftest import wait_for

from .conftest import (
    PROJECT,
    as_key,
    backfill,
    backfill_process,
    expected_at_scale,
    outbox_settled,
    scale_assessments,
    seed_opik,
    write_config,
)
from .test_opik_to_scale import hold_page

ARGS = ("--from", "opik", "--to", "scale", "--project", PROJECT)


def assert_scale_has_each_once(opik, scale, tids) -> None:
    _, expected = expected_at_scale(opik.vendor.history, tids)
    assert Counter(as_key(a) for a in scale_assessments(scale.vendor)) == expected


def test_a_page_the_source_refuses_stops_the_job_and_a_later_run_resumes_there(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 130)
    serve, refusing = opik.vendor.history.serve, [True]

    def page_2_refused(method, path, query):
        if query.get("page") == "2" and refusing[0]:
            from starlette.responses import JSONResponse

            return JSONResponse({"code": 401, "message": "API key expired"}, 401)
        return serve(method, path, query)

    opik.vendor.history.serve = page_2_refused
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 1 and ": stopped" in out, out
    assert (
        "stopped by   GET http://127.0.0.1" in out
        and '/api/v1/private/traces answered 401: {"code":401,"message":"API key expired"}' in out
    )
    assert "read         100 traces" in out and "written      310 to scale" in out  # what was committed is delivered
    refusing[0] = False
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 0 and "resumed at   traces, page 2" in out, out
    assert_scale_has_each_once(opik, scale, tids)


def test_a_finished_job_says_so_and_restart_sends_nothing_twice(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 30)
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    assert backfill(capsys, cfg, *ARGS)[0] == 0
    sent = len(scale.vendor.received)
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 0 and ": already complete" in out and "written      93 to scale" in out, out
    code, out = backfill(capsys, cfg, *ARGS, "--restart")
    assert code == 0 and "present      93 already at scale" in out and "queued       0 for scale" in out, out
    assert len(scale.vendor.received) == sent  # not even a span upsert again
    assert_scale_has_each_once(opik, scale, tids)


def test_resume_on_postgresql(fakes, tmp_path, capsys, pg_database):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 120)
    released = threading.Event()
    hold_page(opik.vendor.history, 2, released)
    store = pg_database()
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, store=store, timeout=30)
    first = backfill_process(cfg, *ARGS)
    try:
        wait_for(
            lambda: (
                len(scale_assessments(scale.vendor)) == 210
                and any(r.query.get("page") == "2" for r in opik.vendor.received)
            ),
            timeout=60,
            what="page 1 at Scale",
        )
        outbox_settled(store)  # page 1's records settled before the kill
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    released.set()
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 0 and "resumed at   traces, page 2" in out, out
    assert_scale_has_each_once(opik, scale, tids)


@pytest.mark.parametrize("until", ["2026-01-05T10:00:00Z", "2026-01-05T10:00"])
def test_since_and_until_bound_what_is_read_and_name_the_job(fakes, tmp_path, capsys, until):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 90)  # a minute apart from 09:00
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS, "--since", "2026-01-05T09:30:00Z", "--until", until)
    assert code == 0 and "read         30 traces" in out and "2026-01-05T09:30:00Z .. 2026-01-05T10:00:00Z" in out, out
    [query] = [r.query for r in opik.vendor.received if r.path.endswith("/traces")]
    assert (query["from_time"], query["to_time"]) == ("2026-01-05T09:30:00Z", "2026-01-05T10:00:00Z")
    assert_scale_has_each_once(opik, scale, tids[30:60])


def test_records_the_target_refuses_become_dead_letters_and_the_job_says_so(fakes, tmp_path, capsys):
    from starlette.responses import JSONResponse

    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 4, comment_every=0)
    answer = scale.vendor.respond

    def refuse_one(r, url):  # a permanent refusal (not retried) of one assessment
        if (
            r.method == "POST"
            and r.path == "/v5/span-assessments"
            and r.body["trace_id"] == tids[2]
            and r.body["metadata"]["name"] == "accuracy"
        ):
            return JSONResponse({"detail": "assessment rejected"}, 400)
        return answer(r, url)

    scale.vendor.respond = refuse_one
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 1 and ": complete, with dead letters" in out, out
    assert "written      11 to scale" in out and "waiting      0 in the outbox" in out
    assert "dead letters 1 (feedback-proxy dead-letters list --upstream scale --config ...)" in out
