"""Ctrl-C during a back-fill, as a user presses it: said at once on the terminal; the run stops
within a few seconds (a page being read is dropped, the sends under way end and are recorded,
no other starts, the rest stays in the outbox) and prints its summary and the command that
resumes it; a second Ctrl-C stops at once. The printed command, run, delivers the rest: every
record at Scale once (after a second Ctrl-C too: the creates cut off were marked as sent, and the
resume reads them back from Scale before sending them again)."""

from __future__ import annotations

import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from tests.conftest import FAST_DELIVERY, wait_for

from .conftest import PROJECT, as_key, backfill_process, expected_at_scale, scale_assessments, seed_opik, write_config
from .test_opik_to_scale import hold_page

ARGS = ("--from", "opik", "--to", "scale", "--project", PROJECT)
ACK = "stopping: finishing what is in flight; Ctrl-C again to stop now"
NOW = "stopping now: the sends under way are cut off (their records stay queued)"
# claimed and not sent when it stops: taken again by the resume once their lease runs out
DELIVERY = {**FAST_DELIVERY, "concurrency": 8, "lease_seconds": 1}


class Lines:
    """A child's stderr, line by line as it comes, each with when it came."""

    def __init__(self, stream):
        self.got: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.got.put((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float) -> float:
        """When the line `text` came (fails if it does not within `timeout`)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                at, line = self.got.get(timeout=left)
            except queue.Empty:
                break
            if line == text:
                return at
        raise AssertionError(f"no line {text!r} on stderr within {timeout} s")


def scale_answers_slowly(scale, seconds: list[float], held: threading.Event | None = None) -> None:
    """The fake Scale takes `seconds[0]` over each assessment create, one at a time (or, with
    `held`, answers none until it is set)."""
    answer = scale.vendor.respond

    def slowly(r, url):
        if r.method == "POST" and r.path == "/v5/span-assessments":
            if held is not None:
                held.wait(60)
            time.sleep(seconds[0])
        return answer(r, url)

    scale.vendor.respond = slowly


def resumed(out: str) -> subprocess.CompletedProcess:
    """Run the command the summary printed, as the user would paste it."""
    command = re.search(r"the same command resumes from the last page committed:\n    (.+)\n", out).group(1)
    words = shlex.split(command)
    assert words[:2] == ["feedback-proxy", "backfill"] and "--restart" not in words
    return subprocess.run([sys.executable, "-m", "proxy", *words[1:]], capture_output=True, text=True, timeout=120)


def test_ctrl_c_is_said_at_once_stops_in_seconds_and_the_printed_command_resumes(fakes, tmp_path):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 100)  # one page: 100 root spans, 210 assessments
    delay = [0.02]
    scale_answers_slowly(scale, delay)  # ~4 s of creates: Ctrl-C comes well before the end
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, delivery=DELIVERY)
    first = backfill_process(cfg, *ARGS)
    stderr = Lines(first.stderr)
    wait_for(lambda: len(scale_assessments(scale.vendor)) >= 30, timeout=60, what="30 assessments at Scale")
    pressed = time.monotonic()
    first.send_signal(signal.SIGINT)
    assert stderr.wait_for(ACK, timeout=5) - pressed < 1.0  # said at once
    first.wait(timeout=10)
    stopped = time.monotonic() - pressed
    out = first.stdout.read()
    assert stopped < 3.0, (stopped, out)  # within a few seconds: what was under way, then out
    assert first.returncode == 1 and ": interrupted" in out, out
    sent = len(scale_assessments(scale.vendor))
    waiting = int(re.search(r"\n  waiting      ([\d,]+) in the outbox for scale", out).group(1).replace(",", ""))
    written = int(re.search(r"\n  written      ([\d,]+) to scale", out).group(1).replace(",", ""))
    assert "  queued       310 for scale" in out and written + waiting == 310 and waiting > 100, out
    assert written == sent + 100  # what reached Scale is counted (and the 100 spans): all that was under way ended
    assert len(scale.vendor.assessments) == sent  # every create it made was answered before it ended: none cut off

    delay[0] = 0.0
    second = resumed(out)
    assert second.returncode == 0 and ": complete" in second.stdout, second.stdout
    assert "written      310 to scale" in second.stdout
    _, expected = expected_at_scale(opik.vendor.history, tids)
    assert Counter(as_key(a) for a in scale_assessments(scale.vendor)) == expected  # each once


def test_ctrl_c_while_a_page_is_read_drops_that_page_at_once_and_the_resume_reads_it(fakes, tmp_path):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 230)
    released = threading.Event()
    hold_page(opik.vendor.history, 2, released)  # page 2 never comes while the first run lasts
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, timeout=30, delivery=DELIVERY)
    first = backfill_process(cfg, *ARGS)
    stderr = Lines(first.stderr)
    wait_for(lambda: any(r.query.get("page") == "2" for r in opik.vendor.received), timeout=30, what="page 2 asked for")
    pressed = time.monotonic()
    first.send_signal(signal.SIGINT)
    stderr.wait_for(ACK, timeout=5)
    first.wait(timeout=10)
    assert time.monotonic() - pressed < 3.0
    out = first.stdout.read()
    assert first.returncode == 1 and ": interrupted" in out and "read         100 traces in 1 page(s)" in out, out
    assert "queued       310 for scale" in out
    released.set()
    second = resumed(out)
    assert second.returncode == 0 and ": complete" in second.stdout, second.stdout
    assert "resumed at   traces, page 2" in second.stdout
    assert "read         230 traces" in second.stdout and "written      713 to scale" in second.stdout
    _, expected = expected_at_scale(opik.vendor.history, tids)
    assert Counter(as_key(a) for a in scale_assessments(scale.vendor)) == expected


def test_a_second_ctrl_c_stops_at_once_and_nothing_is_lost(fakes, tmp_path):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 20)
    held = threading.Event()
    scale_answers_slowly(scale, [0.0], held)  # Scale takes the creates and does not answer
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, delivery=DELIVERY)
    first = backfill_process(cfg, *ARGS)
    stderr = Lines(first.stderr)
    try:
        wait_for(lambda: scale_assessments(scale.vendor), timeout=60, what="a create at Scale")
        first.send_signal(signal.SIGINT)
        stderr.wait_for(ACK, timeout=5)
        time.sleep(0.5)
        assert first.poll() is None  # the sends under way have no answer: it waits for them
        pressed = time.monotonic()
        first.send_signal(signal.SIGINT)
        assert stderr.wait_for(NOW, timeout=5) - pressed < 1.0
        first.wait(timeout=10)
        assert time.monotonic() - pressed < 2.0  # at once
    finally:
        held.set()
    out = first.stdout.read()
    assert first.returncode == 1 and ": interrupted" in out, out
    cut = int(re.search(r"\n  cut off      (\d+) send\(s\) under way at the second Ctrl-C", out).group(1))
    assert 1 <= cut <= DELIVERY["concurrency"]
    second = resumed(out)
    assert second.returncode == 0 and ": complete" in second.stdout, second.stdout
    _, expected = expected_at_scale(opik.vendor.history, tids)
    got = Counter(as_key(a) for a in scale_assessments(scale.vendor))
    assert set(got) == set(expected)  # nothing lost
    assert got == expected  # none lost, none twice: the cut-off creates were read back (README, Back-fill)
