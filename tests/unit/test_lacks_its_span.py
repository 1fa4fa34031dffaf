"""Outbox.stage asks each mirror whether it can take an assessment about a span the proxy has not
seen (Target.lacks_its_span): a trial encode, which makes and remembers no id (the worker's encode
does, when it sends), and says what is missing where the upstream needs the span's trace."""

from __future__ import annotations

from proxy.config import Upstream
from proxy.delivery.target import Target
from proxy.model import Assessment, Ref
from proxy.store import MemoryStore

from .support import MAPPINGS, SECRET


def target(vendor: str, store: MemoryStore) -> Target:
    up = Upstream.model_validate({"vendor": vendor, "base_url": f"http://{vendor}.upstream", "headers": {}})
    return Target(vendor, up, MAPPINGS[vendor], store, SECRET)


def evaluation(**over) -> Assessment:
    fields = dict(op="upsert", entity="span", span_id=Ref("tracia", "sp_00000000000000e1"), name="quality", value=1)
    return Assessment(**{**fields, "scale": [0, 1], "source": "api", "id": "rec-1", **over})


def test_scale_lacks_the_trace_and_opik_does_not_and_neither_trial_remembers_an_id():
    store = MemoryStore()
    assert "trace_id" in target("scale", store).lacks_its_span(evaluation(), fresh=True)
    assert target("opik", store).lacks_its_span(evaluation(), fresh=True) is None
    assert store.id_for("tracia", "sp_00000000000000e1", "opik") is None
    assert store.id_for("tracia", "sp_00000000000000e1", "scale") is None


def test_an_assessment_with_its_trace_is_not_tried():
    store = MemoryStore()
    assert target("scale", store).lacks_its_span(evaluation(trace_id=Ref("tracia", "tr_1")), fresh=True) is None


def test_both_questions_of_a_mirrored_record_at_once_give_what_each_gives():
    """Outbox.stage asks each mirror `refusals`: declared_loss and lacks_its_span from one `ready`."""
    store = MemoryStore()
    for vendor in ("scale", "opik", "tracia"):
        t = target(vendor, store)
        for rec in (evaluation(), evaluation(trace_id=Ref("tracia", "tr_1")), evaluation(entity="trace")):
            loss, lacks = t.refusals(rec, fresh=True)
            assert loss == t.declared_loss(rec, fresh=True), (vendor, rec)
            assert lacks == (t.lacks_its_span(rec, fresh=True) if loss is None else None), (vendor, rec)
    assert "trace_id" in target("scale", store).refusals(evaluation(), fresh=True)[1]
    assert store.id_for("tracia", "sp_00000000000000e1", "scale") is None  # a trial still remembers no id
