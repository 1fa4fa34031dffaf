"""Canonical spans encoded for each other vendor, field by field: opik->scale, opik->tracia,
tracia->opik, tracia->scale, scale->opik, scale->tracia; what waits (a field a later state
will bring), what is skipped (Tracia: a span not ended yet, or one it has), what is lost."""

from __future__ import annotations

import dataclasses

from proxy import ids
from proxy.delivery.target import event_ms
from proxy.mapping.vendor import skipped
from proxy.model import Ref
from proxy.resolve import merge_span
from proxy.store import MemoryStore

from .support import SECRET, decode_capture, encode, target, wire
from .test_spans_decode import NOW
from .test_spans_decode import decode_capture as decode_span_capture

OPIK_TRACE, OPIK_SPAN = "01a20c41-cda1-7a06-b0a1-c98960495513", "01a20c41-cda2-71b4-9594-4a914fb72968"
NOBATCH_TRACE, NOBATCH_SPAN = "01a20c41-d251-78e2-bed2-f378c8b7cf9b", "01a20c41-d252-74bf-bf65-ad3c202ae3ae"


def merged(*records):
    out = None
    for r in records:
        out = merge_span(out, r)
    return out


def opik_trace(ended: bool = True):
    [trace] = decode_capture("opik", "POST_api_v1_private_traces_batch.json")
    return merged(trace, *decode_capture("opik", "PATCH_api_v1_private_traces_ID.json")) if ended else trace


def opik_span(ended: bool = True):
    [span] = decode_capture("opik", "POST_api_v1_private_spans_batch.json")
    return merged(span, *decode_capture("opik", "PATCH_api_v1_private_spans_ID.json")) if ended else span


def opik_id(vendor: str, value: str, start: str) -> str:
    """The UUIDv7 Opik gets for a foreign id first seen on a span that started at `start`."""
    return ids.derived_uuid7(SECRET, f"{vendor}:{value}", event_ms(start))


def tracia_id(prefix: str, vendor: str, value: str) -> str:
    return f"{prefix}_" + ids.derived_hex(SECRET, f"{vendor}:{value}")


def scale_capture_spans():
    root, child = decode_span_capture("scale", "PUT_v5_spans_batch.2.json")[:2]
    return root, child


# --- Opik -> Scale -------------------------------------------------------------------


def test_opik_trace_becomes_the_scale_root_span_and_its_top_level_span_hangs_under_it():
    requests, refused = encode("scale", [opik_trace(), opik_span()])
    assert refused == []
    assert wire(requests) == [
        (
            "PUT",
            "/v5/spans/batch",
            {
                "items": [
                    {
                        "id": OPIK_TRACE,
                        "trace_id": OPIK_TRACE,
                        "name": "capture-trace",
                        "type": "TRACER",
                        "start_timestamp": "2026-11-24T06:32:48.801533Z",
                        "end_timestamp": "2026-11-24T06:32:48.803078Z",
                        "input": {"question": "2+2?"},
                        "output": {"answer": "4"},
                        "metadata": {
                            "k": "v",
                            "tags": ["t1", "t2"],
                            "thread_id": "capture-thread-1",
                            "project": "capture-project",
                        },
                        "status": "SUCCESS",
                    },
                    {
                        "id": OPIK_SPAN,
                        "trace_id": OPIK_TRACE,
                        "parent_id": OPIK_TRACE,
                        "name": "capture-span",
                        "type": "COMPLETION",
                        "start_timestamp": "2026-11-24T06:32:48.802097Z",
                        "end_timestamp": "2026-11-24T06:32:48.802864Z",
                        "input": {"prompt": "2+2?"},
                        "output": {"completion": "4"},
                        "metadata": {
                            "model": "gpt-4o-mini",
                            "provider": "openai",
                            "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
                            "project": "capture-project",
                        },
                        "status": "SUCCESS",
                    },
                ]
            },
        )
    ]
    assert requests[0].records == [opik_trace(), opik_span()]


def test_opik_span_types_and_states_in_scale_words():
    [tool] = decode_capture("opik", "POST_api_v1_private_spans.json")
    requests, _ = encode(
        "scale",
        [tool, dataclasses.replace(opik_span(), type="guardrail", status="error", parent_id=Ref("opik", OPIK_SPAN))],
    )
    items = requests[0].body["items"]
    # not ended: no status yet; a tool has no Scale type of its own
    assert (items[0]["type"], items[0]["parent_id"], "status" in items[0]) == ("STANDALONE", NOBATCH_TRACE, False)
    assert (items[1]["type"], items[1]["parent_id"], items[1]["status"]) == ("GUARDRAIL", OPIK_SPAN, "ERROR")


def test_opik_update_seen_before_its_create_waits_for_the_create():
    [patch] = decode_capture("opik", "PATCH_api_v1_private_spans_ID.json")
    [trace_patch] = decode_capture("opik", "PATCH_api_v1_private_traces_ID.json")
    requests, refused = encode("scale", [patch, trace_patch])
    assert requests == []
    assert [(why, why.missing) for _, why in refused] == [
        ("scale upsert_spans: start_timestamp: missing (from start_time)", "start_time")
    ] * 2


# --- Opik -> Tracia ------------------------------------------------------------------


def test_opik_llm_span_that_ended_becomes_one_tracia_span():
    requests, refused = encode("tracia", [opik_span()])
    assert refused == []
    assert wire(requests) == [
        (
            "POST",
            "/api/v1/spans",
            {
                "spanId": tracia_id("sp", "opik", OPIK_SPAN),
                "traceId": tracia_id("tr", "opik", OPIK_TRACE),
                "model": "gpt-4o-mini",
                "provider": "openai",
                "input": {"messages": [{"role": "user", "content": '{"prompt": "2+2?"}'}]},
                "output": '{"completion": "4"}',
                "status": "SUCCESS",
                "inputTokens": 3,
                "outputTokens": 1,
                "totalTokens": 4,
                "spanKind": "LLM",
                "latencyMs": 1,
            },
        )
    ]  # 06:32:48.802097 -> .802864


def test_opik_span_defaults_for_what_tracia_requires():
    [tool] = decode_capture("opik", "POST_api_v1_private_spans.json")
    tool = merged(tool, *decode_capture("opik", "PATCH_api_v1_private_spans_ID.2.json"))
    requests, _ = encode(
        "tracia",
        [
            dataclasses.replace(
                tool,
                provider="google_vertexai",
                status="error",
                error={"message": "boom"},
                input={"messages": [{"role": "system", "content": "hi"}]},
                thread_id="th-1",
                tags=["a"],
            )
        ],
    )
    body = requests[0].body
    assert body == {
        "spanId": tracia_id("sp", "opik", NOBATCH_SPAN),
        "traceId": tracia_id("tr", "opik", NOBATCH_TRACE),
        "model": "unknown",
        "provider": "google",
        "input": {"messages": [{"role": "system", "content": "hi"}]},
        "output": '{"y": 2}',
        "error": '{"message": "boom"}',
        "status": "ERROR",
        "inputTokens": 0,
        "outputTokens": 0,
        "totalTokens": 0,
        "tags": ["a"],
        "sessionId": "th-1",
        "latencyMs": 0,
    }
    assert encode("tracia", [dataclasses.replace(tool, provider="mistral")])[0][0].body["provider"] == "openai"


def test_opik_span_not_ended_is_skipped_and_an_update_before_its_create_waits():
    requests, refused = encode(
        "tracia", [opik_span(ended=False), *decode_capture("opik", "PATCH_api_v1_private_spans_ID.json")]
    )
    assert requests == []
    (_, not_ended), (_, early) = refused
    assert (
        skipped(not_ended)
        and not_ended == "tracia create_span: the span has not ended yet; Tracia takes a span once, when it has ended"
    )
    assert not skipped(early) and early.missing == "start_time"


def test_a_span_tracia_has_is_never_sent_again():
    store = MemoryStore()
    span = opik_span()
    store.learn("tracia", span.id, "clx_tracia_span_1")  # what Tracia answered the first time
    requests, [(_, why)] = encode("tracia", [dataclasses.replace(span, output={"completion": "changed"})], store)
    assert (
        requests == []
        and skipped(why)
        and why == "tracia create_span: Tracia has this span already and cannot change it"
    )


def test_opik_trace_is_skipped_by_tracia_and_a_declared_loss():
    requests, [(_, why)] = encode("tracia", [opik_trace()])  # a primary: nothing to send, and no refusal
    loss = "Tracia has no trace object; its spans carry the trace id"
    assert requests == [] and skipped(why) and why == f"tracia create_span: {loss}"
    tracia = target("tracia")
    assert tracia.declared_loss(opik_trace()) == tracia.mapping.declared_loss(opik_trace()) == loss  # never queued


# --- Tracia -> Opik ------------------------------------------------------------------


def test_tracia_root_span_becomes_an_opik_trace_and_span():
    [span] = decode_span_capture("tracia", "POST_api_v1_spans.json")
    requests, refused = encode("opik", [span])
    start = "2025-12-31T23:59:59.988Z"
    trace_id, span_id = opik_id("tracia", "tr_00000000000000bb", start), opik_id("tracia", "sp_00000000000000aa", start)
    common = {
        "name": "LLM",
        "start_time": start,
        "end_time": NOW,
        "input": {"messages": [{"role": "user", "content": "2+2?"}]},
        "output": "4",
        "metadata": {"userId": "user_1", "variables": {"x": "1"}},
        "tags": ["t1"],
        "thread_id": "sess_1",
    }
    assert refused == []
    assert wire(requests) == [
        ("POST", "/v1/private/traces/batch", {"traces": [{"id": trace_id, **common}]}),
        (
            "POST",
            "/v1/private/spans/batch",
            {
                "spans": [
                    {
                        "id": span_id,
                        **common,
                        "trace_id": trace_id,
                        "type": "llm",
                        "model": "gpt-4o",
                        "provider": "openai",
                        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
                    }
                ]
            },
        ),
    ]
    assert ids.is_uuid7(trace_id) and ids.uuid7_ms(span_id) == event_ms(start)


def test_tracia_child_span_is_an_opik_span_under_its_parent():
    store = MemoryStore()
    [root] = decode_span_capture("tracia", "POST_api_v1_spans.3.json")
    [child] = decode_span_capture("tracia", "POST_api_v1_spans.4.json")
    requests, _ = encode("opik", [root, child], store)
    traces, spans = requests[0].body["traces"], requests[1].body["spans"]
    assert [t["id"] for t in traces] == [spans[0]["trace_id"]] == [spans[1]["trace_id"]]
    assert spans[1]["parent_span_id"] == spans[0]["id"] and "parent_span_id" not in spans[0]
    assert store.origin_of("opik", spans[1]["id"]) == ("tracia", "sp_244c9a105a016824")


# --- Tracia -> Scale -----------------------------------------------------------------


def test_tracia_span_goes_to_scale_under_its_own_ids():
    [span] = decode_span_capture("tracia", "POST_api_v1_spans.json")
    [child] = decode_span_capture("tracia", "POST_api_v1_spans.4.json")
    requests, refused = encode("scale", [span, child])
    assert refused == []
    [item, child_item] = requests[0].body["items"]
    assert item == {
        "id": "sp_00000000000000aa",
        "trace_id": "tr_00000000000000bb",
        "name": "LLM",
        "type": "COMPLETION",
        "start_timestamp": "2025-12-31T23:59:59.988Z",
        "end_timestamp": NOW,
        "input": {"messages": [{"role": "user", "content": "2+2?"}]},
        "output": {"output": "4"},
        "metadata": {
            "userId": "user_1",
            "variables": {"x": "1"},
            "model": "gpt-4o",
            "provider": "openai",
            "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
            "tags": ["t1"],
            "thread_id": "sess_1",
            "latency_ms": 12,
        },
        "status": "SUCCESS",
    }
    assert (child_item["id"], child_item["trace_id"], child_item["parent_id"]) == (
        "sp_244c9a105a016824",
        "tr_a1d55b3d8f3eb4a2",
        "sp_b0f9cbfa98ed74fa",
    )


def test_tracia_span_back_to_tracia_is_what_was_sent():
    c = decode_span_capture("tracia", "POST_api_v1_spans.json")
    from .support import capture

    sent = capture("tracia", "POST_api_v1_spans.json")["body"]
    assert encode("tracia", c)[0][0].body == sent


# --- Scale -> Opik -------------------------------------------------------------------


def test_scale_root_span_becomes_an_opik_trace_and_span_and_its_child_a_span():
    root, child = scale_capture_spans()
    store = MemoryStore()
    requests, refused = encode("opik", [root, child], store)
    assert refused == []
    start = "2026-11-24T06:37:51.301115+00:00"
    trace_id = opik_id("scale", "c129f6e0-685d-4987-aa3e-8d92113ff71b", start)
    root_id = opik_id("scale", "6eea7260-6c4c-4784-83d2-8b9c5c3df200", start)
    child_id = opik_id("scale", "e2009558-1bdd-49b3-92e1-1f5ccd35ab44", "2026-11-24T06:37:51.301156+00:00")
    assert wire(requests) == [
        (
            "POST",
            "/v1/private/traces/batch",
            {
                "traces": [
                    {
                        "id": trace_id,
                        "name": "capture-trace",
                        "start_time": start,
                        "end_time": "2026-11-24T06:37:51.301195+00:00",
                        "input": {"q": "hi"},
                        "output": {},
                        "metadata": {"m": 1},
                    }
                ]
            },
        ),
        (
            "POST",
            "/v1/private/spans/batch",
            {
                "spans": [
                    {
                        "id": root_id,
                        "name": "capture-trace",
                        "start_time": start,
                        "end_time": "2026-11-24T06:37:51.301195+00:00",
                        "input": {"q": "hi"},
                        "output": {},
                        "metadata": {"m": 1},
                        "trace_id": trace_id,
                        "type": "general",
                    },
                    {
                        "id": child_id,
                        "name": "capture-child",
                        "start_time": "2026-11-24T06:37:51.301156+00:00",
                        "end_time": "2026-11-24T06:37:51.301163+00:00",
                        "input": {"p": "x"},
                        "output": {"c": "y"},
                        "metadata": {},
                        "trace_id": trace_id,
                        "parent_span_id": root_id,
                        "type": "llm",
                    },
                ]
            },
        ),
    ]


def test_scale_patch_seen_before_its_create_waits_for_its_create():
    [patch] = decode_span_capture("scale", "PATCH_v5_spans_span-capture-1.json")
    for vendor, missing in (("opik", "start_time"), ("scale", "trace_id")):
        store = MemoryStore()
        requests, [(_, why)] = encode(vendor, [patch], store)
        assert requests == [] and why.missing == missing, vendor
        assert (
            store.id_for("scale", "span-capture-1", vendor) is None
        )  # no id made yet: Opik's v7 id takes its time from the start


# --- Scale -> Tracia, Scale -> Scale ------------------------------------------------


def test_scale_span_to_tracia_with_the_defaults_tracia_requires():
    root, child = scale_capture_spans()
    requests, refused = encode("tracia", [root, child])
    assert refused == []
    assert [r.body for r in requests] == [
        {
            "spanId": tracia_id("sp", "scale", "6eea7260-6c4c-4784-83d2-8b9c5c3df200"),
            "traceId": tracia_id("tr", "scale", "c129f6e0-685d-4987-aa3e-8d92113ff71b"),
            "model": "unknown",
            "provider": "openai",
            "input": {"messages": [{"role": "user", "content": '{"q": "hi"}'}]},
            "output": "{}",
            "status": "SUCCESS",
            "inputTokens": 0,
            "outputTokens": 0,
            "totalTokens": 0,
            "latencyMs": 0,
        },
        {
            "spanId": tracia_id("sp", "scale", "e2009558-1bdd-49b3-92e1-1f5ccd35ab44"),
            "traceId": tracia_id("tr", "scale", "c129f6e0-685d-4987-aa3e-8d92113ff71b"),
            "parentSpanId": tracia_id("sp", "scale", "6eea7260-6c4c-4784-83d2-8b9c5c3df200"),
            "model": "unknown",
            "provider": "openai",
            "input": {"messages": [{"role": "user", "content": '{"p": "x"}'}]},
            "output": '{"c": "y"}',
            "status": "SUCCESS",
            "inputTokens": 0,
            "outputTokens": 0,
            "totalTokens": 0,
            "spanKind": "LLM",
            "latencyMs": 0,
        },
    ]
    [span] = decode_span_capture("scale", "POST_v5_spans.json")
    assert encode("tracia", [span])[0][0].body["latencyMs"] == 1000  # 10:30:00 -> 10:30:01


def test_scale_span_started_by_the_tracing_helper_is_skipped_by_tracia_until_it_ends():
    root, _ = scale_capture_spans()
    started = dataclasses.replace(root, end_time=None)
    requests, [(_, why)] = encode("tracia", [started])
    assert requests == [] and skipped(why)
    assert encode("scale", [started])[0][0].body["items"][0].get("status") == "SUCCESS"  # as the helper sent it


def test_scale_span_back_to_scale_is_what_was_sent():
    from .support import capture

    for name in ("POST_v5_spans.json", "PUT_v5_spans_batch.json"):
        c = capture("scale", name)
        sent = c["body"]["items"] if "items" in c["body"] else [c["body"]]
        [request] = encode("scale", decode_span_capture("scale", name))[0]
        # what Scale would default: no metadata is {}, no type is STANDALONE (the tracing helper's default)
        assert request.body["items"] == [
            {"type": "STANDALONE", **s, "metadata": s.get("metadata", {})} for s in sent
        ], name


# --- the loss report ---------------------------------------------------------------


def test_explain_says_where_each_span_field_went():
    from proxy import translate as offline

    from .support import MAPPINGS, capture

    body = capture("tracia", "POST_api_v1_spans.json")["body"]
    report = {
        r["input"]: r
        for r in offline.translate(
            MAPPINGS, "tracia", "scale", {"path": "/api/v1/spans", "method": "POST", "body": body}
        ).report
    }
    assert report["body.spanId"]["output"] == "items[].id (id translated to span id)"
    assert (report["body.inputTokens"]["canonical"], report["body.inputTokens"]["output"]) == (
        "usage",
        "items[].metadata (carried)",
    )
    assert (report["body.userId"]["canonical"], report["body.userId"]["status"]) == ("metadata", "kept")
    assert report["body.spanKind"]["output"] == "items[].type (mapped)"
    body = capture("scale", "POST_v5_spans.json")["body"]
    report = {
        r["input"]: r
        for r in offline.translate(
            MAPPINGS, "scale", "tracia", {"path": "/v5/spans", "method": "POST", "body": body}
        ).report
    }
    assert (report["body.name"]["status"], report["body.name"]["note"]) == ("lost", "Tracia spans have no name")
    assert (report["body.parent_id"]["status"], report["body.parent_id"]["output"]) == (
        "kept",
        "parentSpanId (id translated to span id)",
    )
