"""An encode case's `skip`: the record is settled without sending (Tracia takes a span once,
when it has ended). The worker counts it done ("skipped"), a translated primary neither fails
nor queues it, `translate --explain` says so, and a route override may skip too. And feedback
about a span the proxy is sending to the same upstream waits until that span is there."""

from __future__ import annotations

import dataclasses
import json

from proxy import translate as offline
from proxy.config import Config, Upstream, delivery_for
from proxy.delivery.committer import GroupCommit
from proxy.delivery.primary import send_translated
from proxy.delivery.target import Target
from proxy.delivery.worker import Worker
from proxy.mapping.vendor import skipped
from proxy.metrics import Metrics
from proxy.store import MemoryStore
from proxy.store.writes import Writes
from proxy.upstream import MockTransport, Response

from .support import MAPPINGS, SECRET, capture, encode
from .test_spans_encode import opik_span


class Recorder:
    """A Tracia upstream that answers span creates as Tracia does."""

    def __init__(self):
        self.sent: list[tuple[str, str, dict]] = []
        self.transport = MockTransport(self.handle)

    def handle(self, method, url, headers, body):
        self.sent.append((method, url, json.loads(body) if body else None))
        return Response(
            200,
            {"content-type": "application/json"},
            json.dumps({"id": f"clx{len(self.sent)}", "spanId": "x", "traceId": "y"}).encode(),
        )


def tracia_target(store) -> Target:
    return Target(
        "tracia", Upstream(vendor="tracia", base_url="http://tracia.upstream"), MAPPINGS["tracia"], store, SECRET
    )


def worker(store, up: Recorder) -> tuple[Worker, Metrics]:
    cfg = Config.model_validate({"upstreams": {"tracia": {"vendor": "tracia", "base_url": "http://tracia.upstream"}}})
    metrics = Metrics(store)
    target = tracia_target(store)
    return Worker(
        "tracia", lambda name, route: target, store, up.transport, delivery_for(cfg, "tracia"), metrics
    ), metrics


def skipped_count(metrics: Metrics) -> float:
    return (
        metrics.registry.get_sample_value(
            "feedback_proxy_deliveries_total", {"upstream": "tracia", "outcome": "skipped"}
        )
        or 0
    )


async def test_worker_settles_a_skip_as_done_and_sends_a_span_once():
    store, up = MemoryStore(), Recorder()
    w, metrics = worker(store, up)
    started, ended = opik_span(ended=False), opik_span()

    store.put_span(started.id, started)
    store.enqueue([("tracia", started, "req-1")])
    await w.deliver(store.claim("tracia", 10, lease=30))
    assert up.sent == [] and store.depth() == {} and store.dead_letters() == [] and skipped_count(metrics) == 1

    store.put_span(ended.id, ended)  # the end arrives: a new row, and the store's merged state
    store.enqueue([("tracia", started, "req-2")])  # the row holds what came; the worker sends what is known now
    await w.deliver(store.claim("tracia", 10, lease=30))
    assert [(m, u) for m, u, _ in up.sent] == [("POST", "http://tracia.upstream/api/v1/spans")]
    assert store.learned("tracia", ended.id) == "clx1"

    changed = dataclasses.replace(ended, output={"completion": "5"})
    store.put_span(changed.id, changed)
    store.enqueue([("tracia", changed, "req-3")])
    await w.deliver(store.claim("tracia", 10, lease=30))
    assert len(up.sent) == 1 and store.depth() == {} and store.dead_letters() == [] and skipped_count(metrics) == 2


async def test_a_translated_primary_neither_fails_nor_queues_a_skipped_record():
    store, up = MemoryStore(), Recorder()
    writes = Writes()
    commit = GroupCommit(store)
    later = await send_translated(
        up.transport, tracia_target(store), [opik_span(ended=False)], "reject", "req-1", writes, commit
    )
    assert later == [] and up.sent == [] and not writes
    later = await send_translated(up.transport, tracia_target(store), [opik_span()], "reject", "req-2", writes, commit)
    assert later == [] and [u for _, u, _ in up.sent] == ["http://tracia.upstream/api/v1/spans"]
    assert [(up_, rid) for up_, rid, _ in writes.delivered] == [("tracia", opik_span().id)]  # for the request's commit


def test_a_route_override_may_skip():
    t = tracia_target(MemoryStore())
    t = t.with_overrides(
        t.mapping.compile_overrides(
            [
                {
                    "endpoint": "create_span",
                    "accepts": {"op": {"eq": "span"}, "model": {"eq": "gpt-4o-mini"}},
                    "skip": "this route keeps gpt-4o-mini spans out of Tracia",
                }
            ],
            "overrides",
        )
    )
    requests, [(_, why)] = t.encode([opik_span()])
    assert (
        requests == []
        and skipped(why)
        and why == "tracia create_span: this route keeps gpt-4o-mini spans out of Tracia"
    )
    assert encode("tracia", [opik_span()])[0] != []


def test_explain_reports_a_skipped_record_as_skipped():
    body = capture("opik", "POST_api_v1_private_spans_batch.json")["body"]
    out = offline.translate(
        MAPPINGS, "opik", "tracia", {"path": "/v1/private/spans/batch", "method": "POST", "body": body}
    )
    assert out.requests == []
    [row] = [r for r in out.report if r["input"] == "(whole record)"]
    assert row["status"] == "skipped" and "has not ended yet" in row["note"]


async def test_feedback_about_a_span_waits_until_the_upstream_has_that_span():
    from proxy.model import Assessment, Ref

    store, up = MemoryStore(), Recorder()
    w, _ = worker(store, up)
    span = opik_span()
    store.put_span(span.id, span)
    evaluation = Assessment(
        op="upsert",
        entity="span",
        span_id=span.span_id,
        name="quality",
        value=1,
        scale=[0, 1],
        id="rec-1",
        origin={"vendor": "opik"},
    )
    store.enqueue([("tracia", evaluation, "req-1")])
    items = store.claim("tracia", 10, lease=30)
    await w.deliver(items)  # the span is known and on its way to Tracia, not there yet: the evaluation waits
    assert up.sent == [] and store.dead_letters() == []
    [(count, _)] = store.depth().values()
    assert count == 1

    store.mark_delivered("tracia", [(span.id, "print")])
    await w.deliver(items)
    assert [u for _, u, _ in up.sent] == [
        f"http://tracia.upstream/api/v1/spans/{encode('tracia', [span])[0][0].body['spanId']}/evaluations"
    ]

    unknown = dataclasses.replace(evaluation, span_id=Ref("opik", "01a20c41-0000-7000-8000-000000000000"), id="rec-2")
    store.enqueue([("tracia", unknown, "req-2")])
    await w.deliver(store.claim("tracia", 10, lease=30))  # a span the proxy never saw: nothing to wait for
    assert len(up.sent) == 2
