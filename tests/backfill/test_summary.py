"""The back-fill's summary adds up when a `serve` on the same store delivered part of what the
back-fill queued: what the other process wrote is counted, and said to be its."""

from __future__ import annotations

from proxy import config as config_mod
from proxy.app import create_app
from proxy.store.sqlite import SQLiteStore
from proxy.testing import FakeServer
from tests.conftest import wait_for

from .conftest import PROJECT, backfill, seed_opik, write_config
from .test_ctrl_c import DELIVERY, scale_answers_slowly

ARGS = ("--from", "opik", "--to", "scale", "--project", PROJECT)


def test_what_a_serve_on_the_same_store_delivered_is_counted_as_written_by_another_process(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    seed_opik(opik.vendor.history, 10)  # 10 root spans, 20 scores, 1 comment: 31 records for Scale
    scale_answers_slowly(scale, [0.05])
    cfg = write_config(
        tmp_path, {"opik": opik, "scale": scale}, routes=[{"from": "opik", "mirrors": ["scale"]}], delivery=DELIVERY
    )
    code, out = backfill(capsys, cfg, *ARGS, "--queue-only")
    assert code == 0 and "queued       31 for scale" in out, out

    app = create_app(config_mod.load(str(cfg)))  # what it claimed and did not send is free again after its 1 s lease
    with FakeServer(app):  # `serve` on the same store delivers some of them, then stops
        served = app.starlette.state.proxy.metrics.registry.get_sample_value
        delivered = {"upstream": "scale", "outcome": "delivered"}
        wait_for(
            lambda: (served("feedback_proxy_deliveries_total", delivered) or 0) >= 15,
            timeout=30,
            what="serve delivering part of the queue",
        )
    store = SQLiteStore(str(tmp_path / "proxy.db"))
    by_serve = 31 - store.depth().get("scale", (0, None))[0]  # what left the outbox while serve ran
    store.close()
    assert by_serve >= 15

    code, out = backfill(capsys, cfg, *ARGS)  # this job again, delivering the rest itself
    assert code == 0 and ": complete" in out, out
    said = f"  written      31 to scale: {31 - by_serve} by this back-fill, {by_serve} by another process on this store"
    assert said + " (a serve)\n" in out, out
    assert "  queued       31 for scale" in out and "  waiting      0 in the outbox" in out
    assert "  dead letters 0" in out
