"""Scale and Tracia span writes (SDK captures) decoded to canonical Spans, field by field;
what each vendor refuses is refused in its own shape; the synthesized answers."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from proxy.errors import ValidationFailed
from proxy.mapping import WireRequest
from proxy.model import Ref, Span

from .support import MAPPINGS, capture

NOW = "2026-01-01T00:00:00.000Z"  # the request's time, as the pipeline gives it


def decode(vendor: str, method: str, path: str, body, now: str = NOW, request_id: str = "r1") -> list[Span]:
    endpoint, params, _ = MAPPINGS[vendor].match(method, path)
    ctx = {"request_id": request_id, "make_id": lambda i: f"rec-{i}", "now_iso": now}
    return endpoint.decode(WireRequest(method, params, {}, {}, body), ctx)


def decode_capture(vendor: str, name: str, **kw) -> list[Span]:
    c = capture(vendor, name)
    return decode(vendor, c["method"], c["path"], c["body"], **kw)


def respond(vendor: str, method: str, path: str, records: list, **ctx):
    endpoint, _, _ = MAPPINGS[vendor].match(method, path)
    return MAPPINGS[vendor].respond(
        endpoint, records, {"now_iso": NOW, "translate": lambda ref, kind: ref.value, **ctx}
    )


def S(value: str) -> Ref:
    return Ref("scale", value)


def T(value: str) -> Ref:
    return Ref("tracia", value)


# --- Scale ----------------------------------------------------------------------------


def test_scale_single_create_every_field():
    [span] = decode_capture("scale", "POST_v5_spans.json")
    assert span.present() == {
        "op": "span",
        "entity": "span",
        "span_id": S("span-capture-1"),
        "trace_id": S("trace-capture-1"),
        "parent_id": S("span-root"),
        "name": "capture-span",
        "type": "llm",
        "start_time": "2026-01-15T10:30:00+00:00",
        "end_time": "2026-01-15T10:30:01+00:00",
        "input": {"q": "2+2?"},
        "output": {"a": "4"},
        "metadata": {"k": "v"},
        "status": "ok",
    }
    assert span.id == "scale:span:span-capture-1"
    assert span.origin == {"vendor": "scale", "endpoint": "create_span", "overwrites": False}


def test_scale_upsert_batch_from_the_tracing_helper_each_span_twice():
    spans = decode_capture("scale", "PUT_v5_spans_batch.2.json")
    root_id, child_id = "6eea7260-6c4c-4784-83d2-8b9c5c3df200", "e2009558-1bdd-49b3-92e1-1f5ccd35ab44"
    trace = S("c129f6e0-685d-4987-aa3e-8d92113ff71b")
    assert [s.id for s in spans] == [
        f"scale:span:{root_id}",
        f"scale:span:{child_id}",
        f"scale:span:{child_id}",
        f"scale:span:{root_id}",
    ]
    root, child = spans[0], spans[1]
    assert root.present() == {
        "op": "span",
        "entity": "span",
        "span_id": S(root_id),
        "trace_id": trace,
        "root": True,
        "name": "capture-trace",
        "type": "TRACER",
        "start_time": "2026-11-24T06:37:51.301115+00:00",
        "end_time": "2026-11-24T06:37:51.301195+00:00",
        "input": {"q": "hi"},
        "output": {},
        "metadata": {"m": 1},
        "status": "ok",
    }
    assert child.present() == {
        "op": "span",
        "entity": "span",
        "span_id": S(child_id),
        "trace_id": trace,
        "parent_id": S(root_id),
        "name": "capture-child",
        "type": "llm",
        "start_time": "2026-11-24T06:37:51.301156+00:00",
        "end_time": "2026-11-24T06:37:51.301163+00:00",
        "input": {"p": "x"},
        "output": {"c": "y"},
        "metadata": {},
        "status": "ok",
    }
    assert spans[2] == child and spans[3] == root  # the same span again: merged by its key


def test_scale_insert_batch_and_a_span_without_an_id():
    [b1, b2] = decode_capture("scale", "POST_v5_spans_batch.json")
    assert b2.present() == {
        "op": "span",
        "entity": "span",
        "span_id": S("b2"),
        "trace_id": S("trace-capture-1"),
        "root": True,
        "name": "b2",
        "start_time": "2026-01-15T10:30:00+00:00",
    }
    # no id: the proxy names it, stably for the request and the item (Scale's server would make a UUID)
    assert b1.span_id.vendor == "scale" and len(b1.span_id.value) == 36 and b1.id == f"scale:span:{b1.span_id.value}"
    assert decode_capture("scale", "POST_v5_spans_batch.json")[0].span_id == b1.span_id
    assert decode_capture("scale", "POST_v5_spans_batch.json", request_id="r2")[0].span_id != b1.span_id


def test_scale_patch_is_a_partial_state_of_the_same_span():
    [patch] = decode_capture("scale", "PATCH_v5_spans_span-capture-1.json")
    assert patch.present() == {
        "op": "span",
        "entity": "span",
        "span_id": S("span-capture-1"),
        "end_time": "2026-01-15T10:30:02+00:00",
        "status": "error",
    }
    assert patch.id == decode_capture("scale", "POST_v5_spans.json")[0].id
    assert patch.root is None  # a PATCH cannot say whether it is a root: the create does


def test_scale_token_counts_and_carried_fields_come_back_from_metadata():
    body = {
        "name": "n",
        "trace_id": "t",
        "id": "s",
        "start_timestamp": "2026-01-15T10:30:00+00:00",
        "status": "CANCELED",
        "type": "KB_RETRIEVAL",
        "metadata": {
            "usage": {"input_tokens": 3, "output_tokens": 1},
            "model": "gpt-4o",
            "provider": "openai",
            "tags": ["a"],
            "thread_id": "th",
            "project": "p",
        },
    }
    [span] = decode("scale", "POST", "/v5/spans", body)
    assert (span.usage, span.model, span.provider, span.tags, span.thread_id, span.project, span.status, span.type) == (
        {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
        "gpt-4o",
        "openai",
        ["a"],
        "th",
        "p",
        "canceled",
        "KB_RETRIEVAL",
    )
    [flat] = decode("scale", "POST", "/v5/spans", {**body, "metadata": {"prompt_tokens": 5, "completion_tokens": 2}})
    assert flat.usage == {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}


@pytest.mark.parametrize(
    "body, loc, kind",
    [
        ({"trace_id": "t", "start_timestamp": "2026-01-15T10:30:00Z"}, ("name",), "missing"),
        ({"name": "n", "start_timestamp": "2026-01-15T10:30:00Z"}, ("trace_id",), "missing"),
        ({"name": "n", "trace_id": "t"}, ("start_timestamp",), "missing"),
        (
            {"name": "n", "trace_id": "t", "start_timestamp": "2026-01-15T10:30:00Z", "status": "DONE"},
            ("status",),
            "one_of",
        ),
        (
            {"name": "n", "trace_id": "t", "start_timestamp": "2026-01-15T10:30:00Z", "id": "x" * 257},
            ("id",),
            "max_length",
        ),
        (
            {"name": "n", "trace_id": "t", "start_timestamp": "2026-01-15T10:30:00Z", "input": "text"},
            ("input",),
            "type",
        ),
    ],
)
def test_scale_refuses_what_scale_refuses(body, loc, kind):
    with pytest.raises(ValidationFailed) as info:
        decode("scale", "POST", "/v5/spans", body)
    assert [(v.loc, v.kind) for v in info.value.violations] == [(("body", *loc), kind)]
    with pytest.raises(ValidationFailed) as info:
        decode("scale", "PUT", "/v5/spans/batch", {"items": [body]})
    assert [(v.loc, v.kind) for v in info.value.violations] == [(("body", "items", 0, *loc), kind)]


def test_scale_batches_hold_at_most_1000():
    item = {"name": "n", "trace_id": "t", "start_timestamp": "2026-01-15T10:30:00Z"}
    with pytest.raises(ValidationFailed) as info:
        decode("scale", "PUT", "/v5/spans/batch", {"items": [item] * 1001})
    assert [(v.loc, v.kind) for v in info.value.violations] == [(("body", "items"), "max_items")]
    error = MAPPINGS["scale"].error(422, "", "", info.value.violations)
    assert error.status == 422 and error.body["detail"][0]["type"] == "too_long"


def test_scale_answers_a_span_and_a_list_of_spans():
    [span] = decode_capture("scale", "POST_v5_spans.json")
    reply = respond("scale", "POST", "/v5/spans", [span], header={"x-selected-account-id": "acct_1"})
    assert (reply.status, reply.body) == (
        200,
        {
            "id": "span-capture-1",
            "trace_id": "trace-capture-1",
            "parent_id": "span-root",
            "name": "capture-span",
            "type": "COMPLETION",
            "start_timestamp": "2026-01-15T10:30:00+00:00",
            "end_timestamp": "2026-01-15T10:30:01+00:00",
            "input": {"q": "2+2?"},
            "output": {"a": "4"},
            "metadata": {"k": "v"},
            "status": "SUCCESS",
            "account_id": "acct_1",
            "object": "span",
        },
    )
    spans = decode_capture("scale", "POST_v5_spans_batch.json")
    reply = respond("scale", "POST", "/v5/spans/batch", spans, header={"x-selected-account-id": "acct_1"})
    assert reply.body["object"] == "list" and [i["id"] for i in reply.body["items"]] == [s.span_id.value for s in spans]
    assert all(i["object"] == "span" and i["account_id"] == "acct_1" for i in reply.body["items"])


def test_scale_answers_a_patch_it_cannot_complete_with_what_it_knows():
    [patch] = decode_capture("scale", "PATCH_v5_spans_span-capture-1.json")
    reply = respond("scale", "PATCH", "/v5/spans/span-capture-1", [patch], header={"x-selected-account-id": "acct_1"})
    assert reply.body == {"id": "span-capture-1", "account_id": "acct_1", "object": "span"}


# --- Tracia ---------------------------------------------------------------------------


def test_tracia_create_every_field():
    [span] = decode_capture("tracia", "POST_api_v1_spans.json")
    assert span.present() == {
        "op": "span",
        "entity": "span",
        "span_id": T("sp_00000000000000aa"),
        "trace_id": T("tr_00000000000000bb"),
        "root": True,
        "name": "LLM",
        "type": "llm",
        "model": "gpt-4o",
        "provider": "openai",
        "input": {"messages": [{"role": "user", "content": "2+2?"}]},
        "output": "4",
        "status": "ok",
        "latency_ms": 12,
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
        "tags": ["t1"],
        "thread_id": "sess_1",
        "metadata": {"userId": "user_1", "variables": {"x": "1"}},
        # posted once its call ended: it ended when it arrived, and began latencyMs before
        "end_time": NOW,
        "start_time": "2025-12-31T23:59:59.988Z",
    }
    assert span.id == "tracia:span:sp_00000000000000aa"


def test_tracia_run_local_spans_a_session_and_its_parent_link():
    [first] = decode_capture("tracia", "POST_api_v1_spans.3.json")
    [second] = decode_capture("tracia", "POST_api_v1_spans.4.json")
    assert (first.trace_id, first.parent_id, first.root, first.name) == (T("tr_a1d55b3d8f3eb4a2"), None, True, "gpt-4o")
    assert (second.trace_id, second.parent_id, second.root) == (
        T("tr_a1d55b3d8f3eb4a2"),
        T("sp_b0f9cbfa98ed74fa"),
        None,
    )
    assert second.start_time == second.end_time == NOW  # latencyMs 0
    [with_temperature] = decode_capture("tracia", "POST_api_v1_spans.2.json")
    assert with_temperature.metadata == {"userId": "user_1", "temperature": 0.2}


def test_tracia_a_span_with_no_trace_is_in_a_trace_of_its_own_under_an_id_of_its_own():
    body = {
        k: v for k, v in capture("tracia", "POST_api_v1_spans.json")["body"].items() if k not in ("traceId", "spanKind")
    }
    [span] = decode("tracia", "POST", "/api/v1/spans", body)
    own = "tr_" + hashlib.sha256(b"tracia trace of sp_00000000000000aa").hexdigest()[:16]
    assert (span.trace_id, span.span_id, span.root, span.name, span.type) == (
        T(own),
        T("sp_00000000000000aa"),
        True,
        "gpt-4o",
        "llm",
    )
    [again] = decode("tracia", "POST", "/api/v1/spans", body, request_id="r2")  # a re-send: the same trace
    assert again.trace_id == T(own)
    [child] = decode(
        "tracia",
        "POST",
        "/api/v1/spans",
        {**body, "spanId": "sp_00000000000000cc", "parentSpanId": "sp_00000000000000aa"},
    )
    assert (child.trace_id, child.parent_id, child.root) == (
        T(own),
        T("sp_00000000000000aa"),
        None,
    )  # its parent's trace
    [named] = decode(
        "tracia",
        "POST",
        "/api/v1/spans",
        {**body, "traceId": "tr_00000000000000bb", "parentSpanId": "sp_00000000000000aa"},
    )
    assert named.trace_id == T("tr_00000000000000bb")  # a trace it names is its trace


@pytest.mark.parametrize(
    "change, loc, kind",
    [
        ({"model": None}, ("model",), "missing"),
        ({"provider": "mistral"}, ("provider",), "one_of"),
        ({"status": "OK"}, ("status",), "one_of"),
        ({"latencyMs": None}, ("latencyMs",), "missing"),
        (
            {"latencyMs": -1e20},
            ("latencyMs",),
            "min",
        ),  # a start no calendar has: refused, not a crash (hypothesis found it)
        ({"latencyMs": 9.2e21}, ("latencyMs",), "max"),
        ({"inputTokens": 1.5}, ("inputTokens",), "type"),
        ({"input": "2+2?"}, ("input",), "type"),
        ({"spanKind": "TOOL"}, ("spanKind",), "one_of"),
    ],
)
def test_tracia_refuses_what_its_model_refuses(change, loc, kind):
    body = {**capture("tracia", "POST_api_v1_spans.json")["body"], **change}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(ValidationFailed) as info:
        decode("tracia", "POST", "/api/v1/spans", body)
    assert [(v.loc, v.kind) for v in info.value.violations] == [(("body", *loc), kind)]
    error = MAPPINGS["tracia"].error(422, "", "", info.value.violations)
    assert error.status == 400 and error.body["error"]["code"] == "INVALID_REQUEST"


def test_tracia_answers_a_create_span_result_with_a_stable_id():
    [span] = decode_capture("tracia", "POST_api_v1_spans.json")
    reply = respond("tracia", "POST", "/api/v1/spans", [span])
    assert (
        reply.status == 200
        and reply.body["spanId"] == "sp_00000000000000aa"
        and reply.body["traceId"] == "tr_00000000000000bb"
    )
    assert reply.body["id"].startswith("span_") and len(reply.body["id"]) == 21
    assert (
        respond("tracia", "POST", "/api/v1/spans", [dataclasses.replace(span, output="other")]).body["id"]
        == reply.body["id"]
    )
