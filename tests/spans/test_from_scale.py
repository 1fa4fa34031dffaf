"""The scale-gp-beta SDK's spans (create, upsert_batch as the tracing helper sends them, update)
and span assessments through {from: scale, primary: scale, mirrors: [opik]}: at Opik the
trace, the spans and the scores name the same UUIDv7 ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proxy import ids
from proxy.codecs.core import epoch_ms
from tests.conftest import parked, settled, wait_for

from .conftest import OPIK_SPANS, OPIK_TRACES

SECRET = "feedback-proxy"
TRACE, ROOT, CHILD = "trace-s1", "span-root", "span-child"


def iso(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


def opik_id(value: str, start: str) -> str:
    return ids.derived_uuid7(SECRET, f"scale:{value}", int(epoch_ms(start)))


def opik_spans(upstreams) -> dict[str, dict]:
    """The Opik spans by id, later writes merged over earlier ones (Opik upserts a batch)."""
    out: dict[str, dict] = {}
    for b in upstreams["opik"].bodies("POST", OPIK_SPANS):
        for s in b["spans"]:
            out[s["id"]] = {**out.get(s["id"], {}), **s}
    return out


def test_spans_and_assessments_reach_opik_on_agreeing_ids(live_proxy, upstreams, scale_sdk, scale_spans):
    url = live_proxy([{"from": "scale", "primary": "scale", "mirrors": ["opik"]}])
    client = scale_sdk(url)
    root_start, child_start, child_end = iso(3), iso(2), iso(1)
    root = client.spans.create(
        name="root", trace_id=TRACE, id=ROOT, start_timestamp=root_start, type="TRACER", input={"q": "2+2?"}
    )
    assert (root.id, root.trace_id) == (ROOT, TRACE)  # Scale's own answer, forwarded
    started = {
        "name": "child",
        "trace_id": TRACE,
        "id": CHILD,
        "parent_id": ROOT,
        "start_timestamp": child_start,
        "type": "COMPLETION",
        "input": {"p": "2+2?"},
        "metadata": {"model": "gpt-4o"},
    }
    ended = {**started, "end_timestamp": child_end, "output": {"c": "4"}, "status": "SUCCESS"}
    listed = client.spans.upsert_batch(
        items=[started, ended]
    )  # the tracing helper reports a span at its start and at its end
    assert [s.id for s in listed.items] == [CHILD, CHILD]
    client.spans.update(ROOT, end_timestamp=iso(0), output={"a": "4"}, status="SUCCESS")
    rated = client.span_assessments.create(
        assessment_type="rating", trace_id=TRACE, span_id=CHILD, rating=4, comment="fine"
    )
    client.span_assessments.create(
        assessment_type="approval", trace_id=TRACE, approval="approved"
    )  # the trace: its root span
    assert rated.assessment_id in upstreams["scale"].assessments

    trace_id, root_id, child_id = opik_id(TRACE, root_start), opik_id(ROOT, root_start), opik_id(CHILD, child_start)
    span_scores = wait_for(
        lambda: upstreams["opik"].bodies("PUT", r"/spans/feedback-scores$"), what="the Opik span score"
    )
    trace_scores = wait_for(
        lambda: upstreams["opik"].bodies("PUT", r"/traces/feedback-scores$"), what="the Opik trace score"
    )
    wait_for(lambda: opik_spans(upstreams).get(root_id, {}).get("end_time"), what="the root span's end at Opik")
    settled(url)
    assert span_scores == [
        {"scores": [{"id": child_id, "name": "rating", "value": 4, "source": "sdk", "reason": "fine"}]}
    ]
    assert trace_scores == [
        {"scores": [{"id": trace_id, "name": "approval", "value": 1, "source": "sdk", "category_name": "approved"}]}
    ]

    traces = {t["id"]: t for b in upstreams["opik"].bodies("POST", OPIK_TRACES) for t in b["traces"]}
    assert set(traces) == {trace_id} and traces[trace_id]["name"] == "root"
    spans = opik_spans(upstreams)
    assert set(spans) == {root_id, child_id}
    assert (spans[root_id]["trace_id"], spans[root_id].get("parent_span_id")) == (trace_id, None)
    assert (spans[child_id]["trace_id"], spans[child_id]["parent_span_id"], spans[child_id]["type"]) == (
        trace_id,
        root_id,
        "llm",
    )
    assert (spans[child_id]["end_time"], spans[child_id]["output"], spans[child_id]["model"]) == (
        child_end,
        {"c": "4"},
        "gpt-4o",
    )
    assert spans[root_id]["output"] == {"a": "4"}  # the PATCH, merged into what the create said
    assert all(ids.is_uuid7(i) and ids.uuid7_ms(i) > 0 for i in (trace_id, root_id, child_id))
    assert ids.uuid7_ms(child_id) == int(epoch_ms(child_start))


def test_an_opik_primary_names_a_span_sent_without_an_id_and_scores_it(live_proxy, upstreams, scale_sdk):
    client = scale_sdk(live_proxy([{"from": "scale", "primary": "opik"}]))
    start = iso(1)
    span = client.spans.create(
        name="root", trace_id=TRACE, start_timestamp=start
    )  # no id: the proxy names it, as Scale would
    assert (
        span.id
        and span.trace_id == TRACE
        and span.name == "root"
        and span.account_id == "acct_client"
        and span.object == "span"
    )
    again = client.spans.create(name="root", trace_id=TRACE, start_timestamp=start)  # a new call: a second span
    assert again.id != span.id and again.trace_id == TRACE
    client.span_assessments.create(assessment_type="rating", trace_id=TRACE, span_id=span.id, rating=5)
    spans, _ = upstreams["opik"].bodies("POST", OPIK_SPANS)
    [score] = upstreams["opik"].bodies("PUT", r"/spans/feedback-scores$")
    assert spans["spans"][0]["id"] == score["scores"][0]["id"] == opik_id(span.id, start)
    traces = upstreams["opik"].bodies("POST", OPIK_TRACES)
    assert traces[0]["traces"][0]["id"] == spans["spans"][0]["trace_id"] == opik_id(TRACE, start)


def test_a_scale_patch_before_its_create_waits_for_it(live_proxy, upstreams, scale_sdk, scale_spans, caplog):
    caplog.set_level("INFO", logger="proxy.delivery")
    url = live_proxy([{"from": "scale", "primary": "scale", "mirrors": ["opik"]}])
    client = scale_sdk(url)
    start = iso(2)
    scale_spans[ROOT] = {
        "id": ROOT,
        "trace_id": TRACE,
        "name": "root",
        "start_timestamp": start,
        "account_id": "a",
        "object": "span",
    }
    client.spans.update(
        ROOT, output={"a": "4"}, end_timestamp=iso(1)
    )  # Scale has it (made elsewhere); the proxy has not seen it
    parked(caplog, url, opik=1)
    assert upstreams["opik"].received == []  # waiting for a trace id and a start
    client.spans.upsert_batch(items=[{"name": "root", "trace_id": TRACE, "id": ROOT, "start_timestamp": start}])
    wait_for(lambda: any(s.get("end_time") for s in opik_spans(upstreams).values()), what="the merged span at Opik")
    [span] = opik_spans(upstreams).values()
    assert span["output"] == {"a": "4"} and span["id"] == opik_id(ROOT, start)
