"""Effectively once at the vendor: a record the upstream already acknowledged is not sent
again, even when its outbox row is claimed a second time (a crash between the answer and
the bookkeeping); a changed record is."""

from __future__ import annotations

import dataclasses
import time

import pytest

from proxy.config import Config, delivery_for
from proxy.delivery.target import Target
from proxy.delivery.worker import Worker
from proxy.metrics import Metrics
from proxy.model import Assessment, Ref
from proxy.store import codec
from proxy.store.sqlite import SQLiteStore
from proxy.upstream import open_transport
from tests.conftest import FAST_DELIVERY, upstream_config


@pytest.fixture
def worker(fakes, upstreams, mappings, tmp_path):
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    cfg = Config.model_validate({"upstreams": upstream_config(fakes), "delivery": FAST_DELIVERY})
    target = Target("scale", cfg.upstreams["scale"], mappings["scale"], store, cfg.id_secret)
    transport = open_transport()
    yield (
        Worker("scale", lambda name, route: target, store, transport, delivery_for(cfg, "scale"), Metrics(store)),
        store,
    )
    store.close()


def record(value: float) -> Assessment:
    return Assessment(
        op="upsert",
        entity="trace",
        trace_id=Ref("opik", "01a20c41-cda1-7a06-b0a1-000000000001"),
        name="accuracy",
        value=value,
        source="sdk",
        id="rec-1",
        origin={"vendor": "opik", "overwrites": True},
    )


async def test_a_row_claimed_again_after_delivery_is_not_sent_twice(worker, upstreams):
    w, store = worker
    store.enqueue([("scale", record(0.5), "req-1")])
    await w.deliver(store.claim("scale", 10, lease=30))
    assert len(upstreams["scale"].received) == 1 and store.depth() == {}
    # the same row again, as if the process died after the 200 but before `done`
    store.enqueue([("scale", record(0.5), "req-1")])
    await w.deliver(store.claim("scale", 10, lease=30))
    assert len(upstreams["scale"].received) == 1
    assert store.depth() == {} and store.dead_letters() == []
    await w.transport.close()


async def test_a_changed_record_is_sent_as_an_update_of_the_same_assessment(worker, upstreams):
    w, store = worker
    store.enqueue([("scale", record(0.5), "req-1")])
    await w.deliver(store.claim("scale", 10, lease=30))
    store.enqueue([("scale", record(0.7), "req-2")])
    await w.deliver(store.claim("scale", 10, lease=30))
    first, second = upstreams["scale"].received
    (aid,) = upstreams["scale"].assessments
    assert (first.method, second.method, second.path) == ("POST", "PATCH", f"/v5/span-assessments/{aid}")
    assert second.body["metadata"]["value"] == 0.7
    assert store.delivered("scale", "rec-1") == codec.fingerprint(record(0.7))
    await w.transport.close()


async def test_a_refused_record_is_a_dead_letter_with_the_reason(worker, upstreams):
    w, store = worker
    thread = dataclasses.replace(record(1), entity="thread", trace_id=None, thread_id="t-1")
    store.enqueue([("scale", thread, "req-3")])
    await w.deliver(store.claim("scale", 10, lease=30))
    (dead,) = store.dead_letters()
    assert "Scale has no threads" in dead.last_error and upstreams["scale"].received == []
    await w.transport.close()


async def test_a_record_sent_as_two_requests_is_settled_only_when_both_arrived(fakes, upstreams, mappings, tmp_path):
    """A Scale root span is an Opik trace and an Opik span: if one of the two fails, the
    record is retried, not marked delivered with half of it missing."""
    from proxy.model import Span

    store = SQLiteStore(str(tmp_path / "proxy.db"))
    cfg = Config.model_validate({"upstreams": upstream_config(fakes), "delivery": FAST_DELIVERY})
    target = Target("opik", cfg.upstreams["opik"], mappings["opik"], store, cfg.id_secret)
    w = Worker("opik", lambda name, route: target, store, open_transport(), delivery_for(cfg, "opik"), Metrics(store))
    root = Span(
        entity="span",
        root=True,
        trace_id=Ref("scale", "trace-9"),
        span_id=Ref("scale", "span-9"),
        name="root",
        start_time="2026-11-25T01:00:00+00:00",
        end_time="2026-11-25T01:00:01+00:00",
        id="scale:span:span-9",
    )
    store.put_span(root.id, root)
    upstreams["opik"].fail_next(1, 503, {"code": 503, "message": "busy"})
    store.enqueue([("opik", root, "req-9")])
    await w.deliver(store.claim("opik", 10, lease=30))
    assert store.depth()["opik"][0] == 1 and store.delivered("opik", root.id) is None  # half arrived: not done
    time.sleep(FAST_DELIVERY["retry"]["max_interval"] * 1.6)  # the retry's back-off
    await w.deliver(store.claim("opik", 10, lease=30))
    assert store.depth() == {} and store.dead_letters() == []
    received = upstreams["opik"].received
    assert len(received) == 4  # round one: one 503, one 204; round two: both again (Opik upserts them)
    assert sorted(r.path for r in received[2:]) == ["/api/v1/private/spans/batch", "/api/v1/private/traces/batch"]
    await w.transport.close()
    store.close()


async def test_answers_kept_for_repeated_posts_are_pruned_after_the_window(tmp_path):
    import asyncio

    from proxy.delivery.outbox import Outbox
    from proxy.upstream import MockTransport

    store = SQLiteStore(str(tmp_path / "proxy.db"))
    outbox = Outbox(store, MockTransport(lambda *a: None), [], None, None, Metrics(store), replies_kept=0.2)
    store.enqueue([], replies=[("old", b"{}")])
    outbox.start()
    try:
        deadline = time.time() + 5
        while store.reply_for("old", 3600) is not None and time.time() < deadline:
            await asyncio.sleep(0.05)
        assert store.reply_for("old", 3600) is None  # gone from the table, not only out of the window
        store.enqueue([], replies=[("new", b"{}")])
        assert store.reply_for("new", 3600) == b"{}"
    finally:
        await outbox.stop()
        store.close()


async def test_a_create_that_may_have_arrived_is_read_back_and_adopted_once_not_sent_again(worker, upstreams):
    """Two records of the same content, both marked as being sent when the process died; Scale
    had made the first. Claimed again: the first is found by its content and adopted (its
    assessment_id learned, no POST), the second is not given the same assessment: it is sent."""
    import httpx

    from proxy.store.writes import Writes

    w, store = worker
    scale = upstreams["scale"]
    one, two = record(0.5), dataclasses.replace(record(0.5), id="rec-2")
    store.enqueue([("scale", one, "req-1"), ("scale", two, "req-2")])
    items = store.claim("scale", 10, lease=30)
    store.commit(Writes(sending=[it.id for it in items]))  # marked, then the create went out...
    (req,), _ = w.target_for("scale", None).encode([one])
    made = httpx.post(w.target_for("scale", None).upstream.base_url + req.path, json=req.body).json()["assessment_id"]
    store.release([it.id for it in items])  # ...and the process died before its answer was committed
    scale.received.clear()
    await w.deliver(store.claim("scale", 10, lease=30))
    assert [r.method for r in scale.received] == ["GET", "GET", "POST"]
    assert scale.received[0].query == {"trace_id": one.trace_id.value, "assessment_type": "metadata"}
    assert scale.received[2].body == req.body
    assert len(scale.assessments) == 2 and store.depth() == {}
    assert {store.learned("scale", "rec-1"), store.learned("scale", "rec-2")} == set(scale.assessments)
    assert made in {store.learned("scale", "rec-1"), store.learned("scale", "rec-2")}
    await w.transport.close()
