"""Reading a source: retried while it says "later", and paged whatever size its pages are."""

from __future__ import annotations

from .conftest import PROJECT, backfill, expected_at_scale, scale_assessments, seed_opik, write_config

ARGS = ("--from", "opik", "--to", "scale", "--project", PROJECT)


def test_reads_are_retried_while_the_source_says_later(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    seed_opik(opik.vendor.history, 5)
    opik.vendor.fail_next(1, 503)
    opik.vendor.fail_next(1, 429, headers={"Retry-After": "0"})
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 0 and "read         5 traces" in out, out
    assert [r.query.get("page") for r in opik.vendor.received if r.path.endswith("/traces")] == ["1", "1", "1"]


def test_pages_shorter_than_asked_for_are_read_to_the_end(fakes, tmp_path, capsys):
    """Opik says how many there are: a vendor that caps its page size below ours is still read whole."""
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 130, comment_every=0)
    serve = opik.vendor.history.serve
    opik.vendor.history.serve = lambda method, path, query: serve(
        method, path, {**query, "size": str(min(int(query.get("size", 10)), 40))}
    )
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS)
    assert code == 0 and "read         130 traces, 0 spans in 5 page(s) (the source has 130)" in out, out
    assert [r.query["page"] for r in opik.vendor.received if r.path.endswith("/traces")] == ["1", "2", "3", "4"]
    assert len(scale_assessments(scale.vendor)) == 260 == sum(expected_at_scale(opik.vendor.history, tids)[1].values())


def test_an_item_the_sources_own_mapping_refuses_is_counted_and_the_rest_go(fakes, tmp_path, capsys):
    opik, scale = fakes("opik", "scale")
    tids = seed_opik(opik.vendor.history, 3, comment_every=0)
    opik.vendor.history.put_score(
        "trace", tids[1], {"name": "tone", "value": 1, "source": "dashboard"}
    )  # not a source Opik's write API takes
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    code, out = backfill(capsys, cfg, *ARGS)
    assert (
        code == 0
        and "unreadable   1\n             1  trace scores: scores[0].source must be one of ui, sdk, online_scoring"
        in out
    ), out
    assert "records      3 traces, 6 trace scores" in out and len(scale_assessments(scale.vendor)) == 6
    assert {a["metadata"]["name"] for a in scale_assessments(scale.vendor)} == {"accuracy", "helpfulness"}
