"""Back-fill beside live mirroring, on one store: what live mirroring delivered is not
delivered again by the back-fill, and what the back-fill delivered is what a later live
request updates (the same Scale assessment, by PATCH), whichever came first."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx

from proxy import config as config_mod
from proxy import ids
from proxy.app import create_app
from proxy.testing import FakeServer
from tests.conftest import settled, wait_for

from .conftest import (
    PROJECT,
    START,
    as_key,
    backfill,
    expected_at_scale,
    iso,
    scale_assessments,
    scale_spans_sent,
    seed_opik,
    write_config,
)

ROUTE = [{"from": "opik", "primary": "opik", "mirrors": ["scale"]}]


def live_traces(url: str, n: int) -> list[str]:
    """n traces with two scores each and a comment on the first, sent as the opik SDK sends them."""
    at = START + timedelta(days=30)
    tids = [ids.uuid7(int((at + timedelta(minutes=i)).timestamp() * 1000)) for i in range(n)]
    traces = [
        {
            "id": t,
            "project_name": PROJECT,
            "name": f"live-{i}",
            "start_time": iso(at + timedelta(minutes=i)),
            "end_time": iso(at + timedelta(minutes=i, seconds=1)),
            "input": {"q": f"live {i}"},
            "output": {"a": "ok"},
            "metadata": {"live": True},
            "tags": ["live"],
            "source": "sdk",
        }
        for i, t in enumerate(tids)
    ]
    scores = [
        {
            "id": t,
            "project_name": PROJECT,
            "name": name,
            "value": value,
            "source": "sdk",
            "reason": None,
            "category_name": None,
        }
        for t in tids
        for name, value in (("accuracy", 0.5), ("helpfulness", 1.0))
    ]
    with httpx.Client(
        base_url=url + "/api/v1/private", headers={"Authorization": "client-key", "Comet-Workspace": "default"}
    ) as c:
        assert c.post("/traces/batch", json={"traces": traces}).status_code == 204
        assert c.put("/traces/feedback-scores", json={"scores": scores}).status_code == 204
        assert c.post(f"/traces/{tids[0]}/comments", json={"text": "seen live"}).status_code == 201
    return tids


def put_score(url: str, trace_id: str, name: str, value: float, reason: str | None = None) -> None:
    item = {"id": trace_id, "project_name": PROJECT, "name": name, "value": value, "source": "sdk", "reason": reason}
    r = httpx.put(
        url + "/api/v1/private/traces/feedback-scores", json={"scores": [item]}, headers={"Authorization": "client-key"}
    )
    assert r.status_code == 204


def test_live_mirroring_first_then_back_fill_sends_only_what_live_did_not(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, routes=ROUTE)
    with FakeServer(create_app(config_mod.load(str(cfg)))) as proxy:
        live = live_traces(proxy.url, 5)
        wait_for(
            lambda: (
                len(scale_assessments(scale.vendor)) == 11
                and len({s["id"] for s in scale_spans_sent(scale.vendor)}) == 5
            ),
            what="live mirroring at Scale",
        )
        older = seed_opik(opik.vendor.history, 20)  # the months before: in Opik only
        code, out = backfill(capsys, cfg, "--from", "opik", "--to", "scale", "--project", PROJECT)
    assert code == 0, out
    _, expected = expected_at_scale(opik.vendor.history, older + live)
    assert Counter(as_key(a) for a in scale_assessments(scale.vendor)) == expected  # each once: 11 live, 42 back-filled
    assert sum(expected.values()) == 11 + 42
    spans = Counter(s["id"] for s in scale_spans_sent(scale.vendor))
    assert set(spans) == set(older + live) and all(spans[t] == 1 for t in older)
    assert (
        "  present      16 already at scale" in out and "  queued       62 for scale" in out
    )  # 5 traces, 10 scores, 1 comment


def test_back_fill_first_then_a_live_change_updates_the_same_scale_assessment(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, routes=ROUTE)
    older = seed_opik(opik.vendor.history, 3)
    code, out = backfill(capsys, cfg, "--from", "opik", "--to", "scale", "--project", PROJECT)
    assert code == 0, out
    before = {a["assessment_id"]: dict(a) for a in scale.vendor.assessments.values()}
    [(aid, first)] = [
        (k, a) for k, a in before.items() if a["trace_id"] == older[1] and a["metadata"]["name"] == "accuracy"
    ]
    with FakeServer(create_app(config_mod.load(str(cfg)))) as proxy:
        put_score(proxy.url, older[1], "accuracy", 0.95, "rechecked")  # changed: the same assessment, updated
        put_score(proxy.url, older[2], "accuracy", 0.2, "checked 2")  # as back-filled: nothing to send
        wait_for(lambda: scale.vendor.bodies("PATCH"), what="the live change at Scale")
        settled(proxy.url)
    patches = [r for r in scale.vendor.received if r.method == "PATCH"]
    assert [r.path for r in patches] == [f"/v5/span-assessments/{aid}"]
    assert patches[0].body == {
        "assessment_type": "metadata",
        "comment": "rechecked",
        "metadata": {"name": "accuracy", "value": 0.95, "source": "sdk", "project": PROJECT},
    }
    assert (
        len(scale_assessments(scale.vendor)) == 7 and len(scale.vendor.assessments) == 7
    )  # no second create for either
    assert scale.vendor.assessments[aid]["metadata"]["value"] == 0.95 and first["metadata"]["value"] == 0.1


def test_queue_only_leaves_delivery_to_a_running_serve_on_the_same_store(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 10)
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale}, routes=ROUTE)
    code, out = backfill(capsys, cfg, "--from", "opik", "--to", "scale", "--project", PROJECT, "--queue-only")
    assert (
        code == 0
        and ": queued" in out
        and "waiting      31 in the outbox for scale: a running serve on this store" in out
    ), out
    assert scale.vendor.received == []
    # `serve`: its outbox workers deliver what the back-fill queued
    with FakeServer(create_app(config_mod.load(str(cfg)))) as proxy:
        wait_for(lambda: len(scale_assessments(scale.vendor)) == 21, what="serve delivering the back-fill")
        settled(proxy.url)
    _, expected = expected_at_scale(opik.vendor.history, tids)
    assert Counter(as_key(a) for a in scale_assessments(scale.vendor)) == expected


def test_a_back_fill_recognises_what_live_traffic_mirrored_from_a_third_vendor(fakes, tmp_path, capsys):
    """A Tracia span and its evaluation went live to Opik (a trace, a span and a score `quality`
    on the span's Opik UUID) and to Scale (the span, and an `approval` on Tracia's span id).
    Back-filling Opik into Scale beside the running proxy reads them back: the same span and
    feedback, found present; not a second assessment (it was one with metadata {"name":
    "quality"}), nor the Opik trace as a second root span with the span moved under it."""
    from tracia import CreateSpanPayload, EvaluateOptions, Tracia

    tracia, opik, scale = fakes("tracia", "opik", "scale")
    cfg = write_config(
        tmp_path,
        {"tracia": tracia, "opik": opik, "scale": scale},
        routes=[{"from": "tracia", "primary": "tracia", "mirrors": ["opik", "scale"]}, *ROUTE],
    )
    span, trace = "sp_00000000000000bb", "tr_00000000000000bb"
    with FakeServer(create_app(config_mod.load(str(cfg)))) as proxy:
        with Tracia(api_key="tr_client", base_url=proxy.url) as client:
            client.spans.create(
                CreateSpanPayload(
                    span_id=span,
                    trace_id=trace,
                    model="gpt-4o",
                    provider="openai",
                    input={"messages": []},
                    output="4",
                    status="SUCCESS",
                    latency_ms=12,
                    input_tokens=3,
                    output_tokens=1,
                    total_tokens=4,
                )
            )
            client.spans.evaluate(span, EvaluateOptions(evaluator="quality", value=1, note="good"))
        [made] = wait_for(lambda: list(scale.vendor.assessments.values()), what="the evaluation at Scale")
        [(kind, opik_span)] = wait_for(lambda: list(opik.vendor.history.scores), what="the evaluation at Opik")
        assert kind == "span" and opik.vendor.history.scores[(kind, opik_span)]["quality"]["value"] == 1
        code, out = backfill(capsys, cfg, "--from", "opik", "--to", "scale", "--project", "Default Project")
        assert code == 0, out
    assert (made["span_id"], made["trace_id"], made["assessment_type"]) == (span, trace, "approval")
    assert (made["approval"], made["comment"]) == ("approved", "good")
    assert len(scale_assessments(scale.vendor)) == 1 and list(scale.vendor.assessments) == [made["assessment_id"]]
    assert [r.method for r in scale.vendor.received if "/span-assessments" in r.path] == ["POST"]
    assert "  records      1 traces, 1 spans, 1 span scores" in out and "  present      3 already at scale" in out
    assert "  queued       0 for scale" in out and "  waiting      0 in the outbox" in out  # nothing for serve
    assert "  lost  " not in out  # nothing to report lost of what is not sent
    [root] = scale_spans_sent(scale.vendor)  # the live span only: not the Opik trace as a second root
    assert (root["id"], root["trace_id"], root.get("parent_id")) == (span, trace, None)
