"""The official Opik TypeScript SDK (npm `opik`, pinned in tests/sdk/node/package-lock.json), run
with the machine's Node.js against a live proxy whose Opik route has a Tracia primary, under the
default `untranslatable: reject`. It does what its docs show: a trace with a span, both scored, the
trace ended, flushed. It must log no error: Tracia holds the trace through its span, and the trace
score on the trace's root span."""

from __future__ import annotations

import json
import re

from proxy import ids
from tests.conftest import CLIENT_KEYS

SECRET = "feedback-proxy"  # the config's default id_secret
TRACIA_EVAL = re.compile(r"^/api/v1/spans/(sp_[0-9a-f]{16})/evaluations$")


def tracia_id(prefix: str, opik_id: str) -> str:
    """The id Tracia knows an Opik trace (tr_) or span (sp_) by."""
    return prefix + ids.derived_hex(SECRET, f"opik:{opik_id}")


def test_the_typescript_sdk_logs_no_error_and_tracia_gets_the_span_and_both_scores(live_proxy, upstreams, node_script):
    url = live_proxy([{"from": "opik", "primary": "tracia"}])
    run = node_script(
        "opik_trace.mjs",
        {
            "OPIK_URL_OVERRIDE": url + "/api",
            "OPIK_API_KEY": CLIENT_KEYS["opik"],
            "OPIK_WORKSPACE": "default",
            "OPIK_PROJECT_NAME": "ts-project",
        },
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "ERROR" not in said and "Failed to flush" not in said, said
    made = json.loads(run.stdout.strip().splitlines()[-1])
    assert ids.is_uuid7(made["trace"]) and ids.is_uuid7(made["span"])
    trace, span = tracia_id("tr_", made["trace"]), tracia_id("sp_", made["span"])

    tracia = upstreams["tracia"]
    [created] = tracia.bodies("POST", r"^/api/v1/spans$")  # the span, once: the trace itself has no object at Tracia
    latency = created.pop("latencyMs")
    assert isinstance(latency, int) and 0 <= latency < 60_000
    assert created == {
        "spanId": span,
        "traceId": trace,
        "model": "gpt-4o",
        "provider": "openai",
        "input": {"messages": [{"role": "user", "content": '{"prompt": "2+2?"}'}]},
        "output": '{"completion": "4"}',
        "status": "SUCCESS",
        "inputTokens": 3,
        "outputTokens": 1,
        "totalTokens": 4,
        "spanKind": "LLM",
    }
    evaluations = {
        (TRACIA_EVAL.match(r.path).group(1), r.body["evaluatorKey"]): r.body
        for r in tracia.received
        if TRACIA_EVAL.match(r.path)
    }
    assert evaluations == {
        # the trace's score, on the trace's root span: 0.8 is 1 at Tracia, the 0.8 carried in the note
        (span, "quality"): {
            "evaluatorKey": "quality",
            "value": 1,
            "note": 'right, but terse\n[feedback-proxy] {"value": 0.8}',
        },
        (span, "relevance"): {"evaluatorKey": "relevance", "value": 1},
    }
    at = f"/api/v1/spans/{span}/evaluations"
    assert [(r.method, r.path) for r in tracia.received] == [("POST", "/api/v1/spans"), ("POST", at), ("POST", at)]
