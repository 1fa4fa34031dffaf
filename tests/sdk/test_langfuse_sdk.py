"""The official langfuse Python SDKs pointed at a live proxy on a route {from: langfuse, primary:
Opik, mirrors: [Scale]}: 5.x (scores as a JSON array to POST /api/public/scores, from the test
extra) and 4.x (scores as score-create events to POST /api/public/ingestion, installed from PyPI
into a site directory of its own on first use, since one environment holds one version). Each runs
in a process of its own, and must finish with no error logged; Opik and Scale get every score field
by field, on the ids the SDK chose."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from proxy import ids
from tests.conftest import CLIENT_KEYS, PROFILES, settled

LANGFUSE_CLIENT_PUBLIC = PROFILES["langfuse"]["client"]["public_key"]
HERE = Path(__file__).parent / "langfuse"
V4 = "4.18.0"
# pip install --target: a second langfuse beside the extra's 5.x (git-ignored; a dot directory: pytest skips it)
V4_SITE = HERE / f".site-{V4}"


@pytest.fixture(scope="session")
def langfuse4_site() -> Path:
    """The 4.x SDK and its dependencies, installed once from PyPI into V4_SITE."""
    marker = V4_SITE / ".installed"
    if not marker.exists():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(V4_SITE), f"langfuse=={V4}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"pip could not install langfuse=={V4}: {done.stderr[-2000:]}"
        marker.write_text(V4)
    return V4_SITE


def drive(url: str, site: Path | None = None) -> tuple[dict, str]:
    env = {
        **os.environ,
        "LANGFUSE_BASE_URL": url,
        "LANGFUSE_PUBLIC_KEY": LANGFUSE_CLIENT_PUBLIC,
        "LANGFUSE_SECRET_KEY": CLIENT_KEYS["langfuse"],
        "OTEL_SDK_DISABLED": "false",
    }
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(HERE / "driver.py")], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def check_upstreams(upstreams, url: str, made: dict) -> None:
    settled(url)
    check_spans(upstreams, made)
    spans = [s for b in upstreams["opik"].bodies("PUT", r"/spans/feedback-scores$") for s in b["scores"]]
    traces = [s for b in upstreams["opik"].bodies("PUT", r"/traces/feedback-scores$") for s in b["scores"]]
    threads = [s for b in upstreams["opik"].bodies("PUT", r"/threads/feedback-scores$") for s in b["scores"]]
    assert [(s["name"], s["value"], s.get("reason")) for s in spans if s["name"] != "correct"] == [
        ("relevance", 0.9, "on topic")
    ]
    assert sorted((s["name"], s["value"], s.get("category_name")) for s in traces) == [
        ("helpful", 1, "True"),
        ("tone", 0, "polite"),
    ]
    assert len({s["id"] for s in traces}) == 1 and ids.is_uuid7(spans[0]["id"]) and ids.is_uuid7(traces[0]["id"])
    assert [(s["thread_id"], s["name"], s["value"]) for s in threads] == [("session-1", "resolved", 1)]
    scale = {b["metadata"]["name"]: b for b in upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")}
    assert set(scale) == {"relevance", "tone", "helpful", "correct"}  # a session score: no target at Scale
    assert {k: scale["relevance"][k] for k in ("trace_id", "span_id", "comment")} == {
        "trace_id": "7420155d50778037afc0bd9a5c923ab2",
        "span_id": "0123456789abcdef",
        "comment": "on topic",
    }
    assert scale["relevance"]["metadata"] == {
        "name": "relevance",
        "value": 0.9,
        "source": "api",
        "run": 3,
        "environment": "staging",
    }
    assert (scale["tone"]["trace_id"], scale["tone"]["metadata"]["label"]) == (
        "7420155d50778037afc0bd9a5c923ab2",
        "polite",
    )
    assert (scale["helpful"]["metadata"]["value"], scale["helpful"]["metadata"]["label"]) == (1, "True")
    deleted = upstreams["opik"].bodies(
        "POST", r"/feedback-scores/delete$"
    )  # the SDK's delete of "s-tone", by name at Opik
    assert deleted == [{"name": "tone"}]
    assert [r.method for r in upstreams["scale"].received if r.path.startswith("/v5/span-assessments/")] == ["DELETE"]


def check_spans(upstreams, made: dict) -> None:
    """The SDK's span and generation (OTLP): at Opik a trace and an llm span, at Scale the same two spans
    under the SDK's own ids; the score about the generation on that span at both."""
    traced, observed = made["traced"], made["observed"]
    [trace] = [t for b in upstreams["opik"].bodies("POST", r"/traces/batch$") for t in b["traces"]]
    opik_spans = {s["name"]: s for b in upstreams["opik"].bodies("POST", r"/spans/batch$") for s in b["spans"]}
    assert (trace["name"], trace["input"], trace["output"]) == ("chat", {"q": "2+2"}, {"a": "4"})
    llm = opik_spans["llm"]
    assert (llm["trace_id"], llm["type"], llm["model"], llm["output"]) == (trace["id"], "llm", "gpt-4o", "4")
    assert llm["usage"] == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    scale_spans = {s["name"]: s for b in upstreams["scale"].bodies("PUT", r"^/v5/spans/batch$") for s in b["items"]}
    assert (scale_spans["llm"]["id"], scale_spans["llm"]["trace_id"]) == (observed, traced)
    assert scale_spans["chat"]["trace_id"] == traced and "parent_id" not in scale_spans["chat"]
    span_scores = [s for b in upstreams["opik"].bodies("PUT", r"/spans/feedback-scores$") for s in b["scores"]]
    assert [s["id"] for s in span_scores if s["name"] == "correct"] == [llm["id"]]
    scale = {b["metadata"]["name"]: b for b in upstreams["scale"].bodies("POST", r"^/v5/span-assessments$")}
    assert (scale["correct"]["trace_id"], scale["correct"]["span_id"]) == (traced, observed)


def answered(url: str, labels: str) -> None:
    """The proxy answered such a request at least once (its /metrics request counter)."""
    text = httpx.get(url + "/metrics").text
    assert re.search(r"^feedback_proxy_requests_total\{" + re.escape(labels) + r"\} [1-9]", text, re.M), text[-3000:]


def no_error_logged(stderr: str) -> None:
    bad = [line for line in stderr.splitlines() if line.startswith(("ERROR", "CRITICAL")) or "Traceback" in line]
    assert not bad, stderr


def test_sdk_5_scores_over_rest(live_proxy, upstreams):
    url = live_proxy([{"from": "langfuse", "primary": "opik", "mirrors": ["scale"]}])
    made, stderr = drive(url)
    assert made["version"].startswith("5.")
    no_error_logged(stderr)
    answered(url, 'endpoint="scores",status="202",vendor="langfuse"')  # its array, accepted whole
    answered(url, 'endpoint="projects",status="200",vendor="langfuse"')  # its auth check
    check_upstreams(upstreams, url, made)


def test_sdk_4_scores_over_ingestion(live_proxy, upstreams, langfuse4_site):
    url = live_proxy([{"from": "langfuse", "primary": "opik", "mirrors": ["scale"]}])
    made, stderr = drive(url, langfuse4_site)
    assert made["version"] == V4
    no_error_logged(stderr)
    answered(url, 'endpoint="ingestion",status="207",vendor="langfuse"')
    check_upstreams(upstreams, url, made)
