"""Trace and span writes Opik's spec allows, through a route with a Scale mirror and no Opik
upstream (every answer is the proxy's own). A trace's or span's `metadata` (and input,
output) may be an object, a list of objects or a text: each flows through the proxy's merge of
a span's create and updates and reaches Scale, whose span metadata is an object (a list or a
text goes there under the key `metadata`). A trace or span may come without an id: it gets
one, as Opik's server would give it."""

from __future__ import annotations

import re

import httpx

from proxy import ids
from tests.conftest import CLIENT_HEADERS, wait_for

ROUTE = {"from": "opik", "mirrors": ["scale"]}
OPIK = "/api/v1/private"
START, END = "2026-01-02T03:04:05.000Z", "2026-01-02T03:04:06.500Z"


def send(url: str, method: str, path: str, body: dict) -> httpx.Response:
    return httpx.request(method, url + OPIK + path, json=body, headers=CLIENT_HEADERS["opik"], timeout=10)


def at_scale(scale_spans, span_id: str, **fields) -> dict:
    """The span at Scale once it holds these fields (Scale takes each merged state as an upsert)."""

    def holds():
        return all(scale_spans.get(span_id, {}).get(k) == v for k, v in fields.items()) and scale_spans[span_id]

    return wait_for(holds, what=f"span {span_id} at Scale with {fields}")


def test_a_list_or_a_text_as_metadata_reaches_scale_under_its_key(live_proxy, upstreams, scale_spans):
    url = live_proxy([ROUTE])
    trace, listed, texted = ids.uuid7(), ids.uuid7(), ids.uuid7()
    r = send(
        url,
        "POST",
        "/traces/batch",
        {
            "traces": [
                {
                    "id": trace,
                    "name": "chat",
                    "project_name": "proj",
                    "start_time": START,
                    "metadata": "a note",
                    "input": "2+2?",
                }
            ]
        },
    )
    assert r.status_code == 204, r.text
    r = send(
        url,
        "POST",
        "/spans/batch",
        {
            "spans": [
                {
                    "id": listed,
                    "trace_id": trace,
                    "name": "llm",
                    "type": "llm",
                    "project_name": "proj",
                    "start_time": START,
                    "metadata": [{"step": 1}, {"step": 2}],
                    "input": [{"role": "user", "content": "2+2?"}],
                    "model": "gpt-4o",
                },
                {
                    "id": texted,
                    "trace_id": trace,
                    "name": "tool",
                    "type": "tool",
                    "project_name": "proj",
                    "start_time": START,
                    "metadata": "plain text",
                    "output": "4",
                },
            ]
        },
    )
    assert r.status_code == 204, r.text

    root = at_scale(scale_spans, trace, name="chat")
    assert (root["metadata"], root["input"]) == ({"metadata": "a note", "project": "proj"}, {"input": "2+2?"})
    span = at_scale(scale_spans, listed, name="llm")
    assert (span["metadata"], span["input"], span["type"]) == (
        {"metadata": [{"step": 1}, {"step": 2}], "model": "gpt-4o", "project": "proj"},
        {"input": [{"role": "user", "content": "2+2?"}]},
        "COMPLETION",
    )
    span = at_scale(scale_spans, texted, name="tool")
    assert (span["metadata"], span["output"], span["parent_id"]) == (
        {"metadata": "plain text", "project": "proj"},
        {"output": "4"},
        trace,
    )


def test_an_update_may_change_metadata_from_an_object_to_a_list_and_back(live_proxy, upstreams, scale_spans):
    """A span's create and its updates are merged into one state: objects key by key, anything
    else replaces what was there (it once ended in a TypeError and a 503, which the SDK retries)."""
    url = live_proxy([ROUTE])
    trace, span_id = ids.uuid7(), ids.uuid7()
    r = send(
        url,
        "POST",
        "/spans",
        {"id": span_id, "trace_id": trace, "name": "llm", "start_time": START, "metadata": {"a": 1}},
    )
    assert r.status_code == 201, r.text
    at_scale(scale_spans, span_id, metadata={"a": 1})

    r = send(url, "PATCH", f"/spans/{span_id}", {"trace_id": trace, "metadata": [{"b": 2}], "end_time": END})
    assert r.status_code == 204, r.text
    assert at_scale(scale_spans, span_id, end_timestamp=END)["metadata"] == {"metadata": [{"b": 2}]}

    r = send(url, "PATCH", f"/spans/{span_id}", {"trace_id": trace, "metadata": "now a text"})
    assert r.status_code == 204, r.text
    at_scale(scale_spans, span_id, metadata={"metadata": "now a text"})

    r = send(url, "PATCH", f"/spans/{span_id}", {"trace_id": trace, "metadata": {"c": 3}})
    assert r.status_code == 204, r.text
    assert at_scale(scale_spans, span_id, metadata={"c": 3})["name"] == "llm"
    r = send(url, "PATCH", f"/spans/{span_id}", {"trace_id": trace, "metadata": {"d": 4}})
    assert r.status_code == 204, r.text
    at_scale(scale_spans, span_id, metadata={"c": 3, "d": 4})  # two objects: merged


def test_a_trace_or_span_sent_without_an_id_gets_one_and_is_an_entity_of_its_own_at_scale(
    live_proxy, upstreams, scale_spans
):
    url = live_proxy([ROUTE])
    r = send(url, "POST", "/traces", {"name": "chat", "start_time": START})
    assert r.status_code == 201, r.text
    trace = re.fullmatch(rf"{re.escape(url + OPIK)}/traces/([0-9a-f-]{{36}})", r.headers["location"]).group(1)
    assert ids.is_uuid7(trace) and ids.uuid7_ms(trace) == 1767323045000  # its time part: the trace's start
    r = send(
        url,
        "POST",
        "/spans/batch",
        {
            "spans": [
                {"trace_id": trace, "name": "llm", "start_time": START},
                {"trace_id": trace, "name": "tool", "start_time": START},
            ]
        },
    )
    assert r.status_code == 204, r.text
    wait_for(lambda: len(scale_spans) == 3, what="the trace and both spans at Scale")
    spans = {s["name"]: s for s in scale_spans.values()}
    assert (spans["chat"]["id"], spans["chat"]["trace_id"], spans["chat"].get("parent_id")) == (trace, trace, None)
    for name in ("llm", "tool"):  # under the trace, each under an id of its own
        assert (spans[name]["trace_id"], spans[name]["parent_id"]) == (trace, trace) and ids.is_uuid7(spans[name]["id"])
    assert len({s["id"] for s in spans.values()}) == 3
