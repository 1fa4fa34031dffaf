"""The suite runs the Opik SDK with its file logging on (tests/conftest.py): its log goes to a
temporary directory, never to an `opik.log` where the suite is run (the repo root)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_opik_sdk_writes_its_log_in_a_temporary_directory_not_where_the_suite_runs(tmp_path):
    # as a fresh shell would have it: the suite's conftest sets these
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPIK_")}
    code = "import os, tests.conftest, opik; print(os.environ['OPIK_LOGGING_FILE'])"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    log = Path(out.stdout.strip())
    assert log.is_file() and log.parent != tmp_path  # the SDK opened it, there
    assert list(tmp_path.iterdir()) == []
