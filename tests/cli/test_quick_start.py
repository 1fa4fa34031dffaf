"""The README's quick start, as a user runs it: `serve --config config.example.yaml
--fake-upstreams`, the tracia SDK pointed at it. The Tracia span (with no trace, as the
README's example sends it) and its evaluation reach the fake Scale, field by field, read back
through Scale's own API; the fake Opik holds a trace and a span with two different ids."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from proxy import ids
from proxy.codecs.core import epoch_ms
from proxy.testing import free_port
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
SPAN = "sp_0123456789abcdef"  # the README's example span
TRACE = (
    "tr_" + hashlib.sha256(f"tracia trace of {SPAN}".encode()).hexdigest()[:16]
)  # a trace of its own (README, Traces and spans)


@pytest.fixture
def quick_start(tmp_path):
    """The proxy and its fake upstreams as `serve --fake-upstreams` starts them, on free ports
    (the example config reads the upstream URLs from the environment); its store in tmp_path."""
    ports = {name: free_port() for name in ("proxy", "opik", "tracia", "scale")}
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "OPIK_URL": f"http://127.0.0.1:{ports['opik']}/api",
        "TRACIA_URL": f"http://127.0.0.1:{ports['tracia']}",
        "SGP_URL": f"http://127.0.0.1:{ports['scale']}",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proxy",
            "serve",
            "--config",
            str(ROOT / "config.example.yaml"),
            "--fake-upstreams",
            "--port",
            str(ports["proxy"]),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_for(lambda: proc.poll() is not None or _up(urls["proxy"]), timeout=30, what="serve to start")
        assert proc.poll() is None, proc.communicate()[0]
        yield urls
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert '"level":"error"' not in output, output


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz").status_code == 200
    except httpx.TransportError:
        return False


def _read(url: str, path: str, **params) -> dict | None:
    answer = httpx.get(url + path, params=params)
    return answer.json() if answer.status_code == 200 else None


def test_a_tracia_span_and_its_evaluation_reach_the_fake_scale_field_by_field(quick_start):
    from tracia import CreateSpanPayload, EvaluateOptions, Tracia

    client = Tracia(api_key="tr_quick_start_key", base_url=quick_start["proxy"])
    try:
        created = client.spans.create(
            CreateSpanPayload(
                span_id=SPAN,
                model="gpt-4o",
                provider="openai",
                input={"messages": [{"role": "user", "content": "2+2?"}]},
                output="4",
                status="SUCCESS",
                latency_ms=12,
                input_tokens=3,
                output_tokens=1,
                total_tokens=4,
            )
        )
        client.spans.evaluate(SPAN, EvaluateOptions(evaluator="quality", value=1, note="looks right"))
    finally:
        client.close()
    assert (created.span_id, created.trace_id) == (SPAN, TRACE)

    scale = quick_start["scale"]
    span = wait_for(lambda: _read(scale, f"/v5/spans/{SPAN}"), what="the span at the fake Scale")
    start, end = span.pop("start_timestamp"), span.pop("end_timestamp")
    assert epoch_ms(end) - epoch_ms(start) == 12
    assert span == {
        "id": SPAN,
        "trace_id": TRACE,
        "name": "gpt-4o",
        "type": "COMPLETION",
        "input": {"messages": [{"role": "user", "content": "2+2?"}]},
        "output": {"output": "4"},
        "status": "SUCCESS",
        "metadata": {
            "model": "gpt-4o",
            "provider": "openai",
            "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
            "latency_ms": 12,
        },
        "account_id": "acct_local",
        "object": "span",
    }
    [assessment] = wait_for(
        lambda: (_read(scale, "/v5/span-assessments", span_id=SPAN) or {}).get("items"),
        what="the assessment at the fake Scale",
    )
    assert {k: v for k, v in assessment.items() if k not in ("assessment_id", "created_at", "updated_at")} == {
        "trace_id": TRACE,
        "span_id": SPAN,
        "assessment_type": "approval",
        "approval": "approved",
        "comment": "looks right",
        "created_by": "fake-user",
        "object": "span.assessment",
    }

    # the primary, the fake Opik: a trace and a span, two ids, the span in the trace and the score on the span
    opik = quick_start["opik"] + "/api/v1/private"
    [trace] = _read(opik, "/traces", project_name="Default Project")["content"]
    [opik_span] = _read(opik, "/spans", project_name="Default Project")["content"]
    assert ids.is_uuid7(trace["id"]) and ids.is_uuid7(opik_span["id"]) and trace["id"] != opik_span["id"]
    assert opik_span["trace_id"] == trace["id"] and "feedback_scores" not in trace
    assert [(s["name"], s["value"], s["reason"]) for s in opik_span["feedback_scores"]] == [
        ("quality", 1, "looks right")
    ]
