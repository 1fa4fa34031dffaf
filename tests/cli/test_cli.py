"""The command line: check, translate (with the loss report for every ordered pair)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import VENDORS

ROOT = Path(__file__).resolve().parents[2]

# One representative request per vendor; ids chosen so every pair has a target.
REQUESTS = {
    "opik": {
        "path": "/api/v1/private/spans/feedback-scores",
        "body": {
            "scores": [
                {
                    "id": "01a20c41-d6da-7a19-be11-55c7e051992f",
                    "name": "accuracy",
                    "value": 0.9,
                    "reason": "close",
                    "category_name": "good",
                    "source": "sdk",
                    "project_name": "p1",
                    "author": "someone",
                }
            ]
        },
    },
    "tracia": {
        "path": "/api/v1/spans/sp_0123456789abcdef/evaluations",
        "body": {"evaluatorKey": "quality", "value": 1, "note": "looks right"},
    },
    "scale": {
        "path": "/v5/span-assessments",
        "body": {
            "assessment_type": "rating",
            "trace_id": "trace-1",
            "span_id": "span-1",
            "rating": 4,
            "comment": "why 4",
        },
    },
    "langfuse": {
        "path": "/api/public/scores",
        "body": {
            "id": "s-1",
            "traceId": "trace-1",
            "observationId": "span-1",
            "name": "accuracy",
            "value": 0.9,
            "comment": "close",
            "environment": "prod",
        },
    },
    "otel": {
        "path": "/v1/logs",
        "body": {
            "resourceLogs": [
                {
                    "scopeLogs": [
                        {
                            "logRecords": [  # OTLP JSON
                                {
                                    "eventName": "gen_ai.evaluation.result",
                                    "traceId": "fff5fdfd76f7dc2a4b39478468ffe4aa",
                                    "spanId": "9d0f26da9c6b6d23",
                                    "attributes": [
                                        {"key": "gen_ai.evaluation.name", "value": {"stringValue": "Relevance"}},
                                        {"key": "gen_ai.evaluation.score.value", "value": {"intValue": "4"}},
                                    ],
                                }
                            ]
                        }
                    ]
                }
            ]
        },
    },
}


def run(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "proxy", *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_check_accepts_the_example_config():
    out = run("check", "--config", "config.example.yaml")
    assert out.returncode == 0, out.stderr
    assert (
        "ok (3 upstreams, 3 routes; mappings: langfuse, opik, otel, scale, tracia; "
        "back-fill histories: langfuse, opik, scale, tracia)"
    ) in out.stdout


def test_check_names_file_and_key_of_a_bad_override(tmp_path):
    cfg = (ROOT / "config.example.yaml").read_text().replace("endpoint: create", "endpoint: creat")
    path = tmp_path / "bad.yaml"
    path.write_text(cfg)
    out = run("check", "--config", str(path))
    assert out.returncode == 2
    assert "routes[1].overrides.scale[0].endpoint" in out.stderr and "no endpoint 'creat'" in out.stderr


def test_check_names_the_line_of_an_unknown_upstream(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("upstreams: {}\nroutes:\n  - from: opik\n    primary: nowhere\n")
    out = run("check", "--config", str(path))
    assert out.returncode == 2
    assert f"{path}:4:14: routes::0::primary: upstream 'nowhere' is not configured" in out.stderr


@pytest.mark.parametrize("src", VENDORS)
@pytest.mark.parametrize("dst", VENDORS)
def test_translate_explain_reports_every_ordered_pair(src, dst):
    out = run("translate", "--from", src, "--to", dst, "--explain", stdin=json.dumps(REQUESTS[src]))
    assert out.returncode == 0, out.stderr
    head, _, report = out.stdout.partition("\nloss report: ")
    result = json.loads(head)
    assert result["to"] == dst
    assert report.startswith(f"{src} ")
    lines = report.splitlines()
    assert any(line.strip().startswith(("kept", "lost", "dropped", "waits")) for line in lines), report
    assert "kept," in lines[-1] and "lost or dropped" in lines[-1]
    sent_or_refused = len(result["requests"]) + len(result["refused"])
    assert sent_or_refused >= 1


def test_translate_tracia_to_opik_sends_a_v7_span_score():
    out = run("translate", "--from", "tracia", "--to", "opik", "--explain", stdin=json.dumps(REQUESTS["tracia"]))
    result = json.loads(out.stdout.partition("\nloss report: ")[0])
    (req,) = result["requests"]
    assert (req["method"], req["path"]) == ("PUT", "/v1/private/spans/feedback-scores")
    (item,) = req["body"]["scores"]
    assert {k: item[k] for k in ("name", "value", "source", "reason")} == {
        "name": "quality",
        "value": 1,
        "source": "sdk",
        "reason": "looks right",
    }
    assert item["id"][14] == "7"
    assert "kept     path.spanId" in out.stdout and "id translated" in out.stdout
    assert "4 kept, 0 lost or dropped" in out.stdout


def test_translate_to_otel_prints_the_otlp_json_a_collector_would_get():
    out = run("translate", "--from", "scale", "--to", "otel", stdin=json.dumps(REQUESTS["scale"]))
    (req,) = json.loads(out.stdout)["requests"]
    assert (req["method"], req["path"]) == ("POST", "/v1/logs")
    [record] = req["body"]["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    assert record["eventName"] == "gen_ai.evaluation.result"
    assert len(record["traceId"]) == 32 and len(record["spanId"]) == 16
    assert {"key": "gen_ai.evaluation.score.value", "value": {"intValue": "4"}} in record["attributes"]
    assert {"key": "gen_ai.evaluation.explanation", "value": {"stringValue": "why 4"}} in record["attributes"]


def test_translate_opik_to_tracia_reports_what_is_carried_and_dropped():
    out = run("translate", "--from", "opik", "--to", "tracia", "--explain", stdin=json.dumps(REQUESTS["opik"]))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.partition("\nloss report: ")[0])
    (req,) = result["requests"]
    assert req["body"]["value"] == 1 and req["body"]["evaluatorKey"] == "accuracy"
    assert req["body"]["note"].startswith("close\n[feedback-proxy] ")
    carried = json.loads(req["body"]["note"].split("[feedback-proxy] ", 1)[1])
    assert carried == {"value": 0.9, "label": "good"}
    assert "body.scores[*].category_name" in out.stdout and "(carried)" in out.stdout
    assert "dropped  body.scores[*].author" in out.stdout and "authenticated user" in out.stdout


def test_translate_opik_trace_score_to_tracia_is_reported_waiting_for_the_root_span():
    body = {"scores": [{"id": "01a20c41-d6da-7a19-be11-55c7e051992f", "name": "a", "value": 1, "source": "sdk"}]}
    out = run(
        "translate",
        "--from",
        "opik",
        "--to",
        "tracia",
        "--explain",
        stdin=json.dumps({"path": "/v1/private/traces/feedback-scores", "body": body}),
    )
    result = json.loads(out.stdout.partition("\nloss report: ")[0])
    assert result["requests"] == []  # offline, no span of the trace seen: the live proxy holds it for the root span
    assert result["refused"] == [
        {"record": "upsert on a trace", "why": "tracia evaluate: spanId: missing (from root_span_id)"}
    ]
    assert "waits    (whole record)" in out.stdout


def test_translate_rejects_bad_input_cleanly():
    out = run("translate", "--from", "opik", "--to", "nowhere", stdin="{}")
    assert out.returncode == 2 and "unknown vendor 'nowhere'" in out.stderr
    out = run("translate", "--from", "tracia", "--to", "opik", stdin="{not json")
    assert out.returncode == 2 and "stdin is not JSON" in out.stderr
    out = run(
        "translate",
        "--from",
        "tracia",
        "--to",
        "opik",
        stdin=json.dumps({"path": "/api/v1/spans/x/evaluations", "body": {"value": "high"}}),
    )
    assert out.returncode == 1 and "evaluatorKey is required" in out.stderr and "Traceback" not in out.stderr
