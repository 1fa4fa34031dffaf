"""The history files (proxy/vendors/<vendor>/history.yaml) against the mappings they feed: each loads,
each write names an endpoint of its vendor's mapping that decodes, each assessment write
says what identifies it; a broken file is refused naming the file, line and key. And the
command's own refusals."""

from __future__ import annotations

import shutil

import pytest

from proxy import vendors
from proxy.backfill.command import iso
from proxy.backfill.spec import load_history
from proxy.backfill.writes import CompiledWrite
from proxy.cli import main
from proxy.errors import ConfigError
from proxy.mapping import load_all

from .conftest import write_config


@pytest.mark.parametrize("vendor", [v for v in vendors.names() if vendors.get(v).history])
def test_each_history_file_compiles_against_its_vendors_mapping(vendor):
    history = load_history(vendor)
    mapping = load_all()[vendor]
    writes = [CompiledWrite(w, mapping) for lst in history.lists for w in lst.writes]
    assert writes and all(w.endpoint.decode is not None for w in writes)


def test_tracia_says_it_has_no_evaluations_to_list():
    assert "Tracia has no API that lists evaluations: spans only" in load_history("tracia").notes


def test_a_broken_history_file_is_refused_with_its_place(tmp_path):
    own = tmp_path / "history"
    own.mkdir()
    text = vendors.get("tracia").history.read_text().replace("style: cursor", "style: sideways")
    (own / "tracia.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_history("tracia", str(tmp_path))
    assert "tracia.yaml:" in err.value.message and "lists::0::paging::style" in err.value.message


def test_an_assessment_write_without_a_key_is_refused(tmp_path):
    own = tmp_path / "history"
    own.mkdir()
    shutil.copy(vendors.get("scale").history, own / "scale.yaml")
    text = (own / "scale.yaml").read_text().replace('key: {template: "assessment {each.assessment_id}"}', "")
    (own / "scale.yaml").write_text(text)
    [_, create] = load_history("scale", str(tmp_path)).lists[0].writes
    with pytest.raises(ConfigError, match="needs a `key`"):
        CompiledWrite(create, load_all()["scale"])


def test_dates_are_read_as_utc():
    assert iso("2026-01-01") == "2026-01-01T00:00:00Z"
    assert iso("2026-01-01T10:30:00+02:00") == "2026-01-01T08:30:00Z"
    with pytest.raises(ValueError):
        iso("last tuesday")


@pytest.mark.parametrize(
    "args, says",
    [
        (("--from", "opik", "--to", "nowhere"), "no upstream 'nowhere' in the config; known: opik, scale"),
        (("--from", "opik", "--to", "opik"), "--from and --to name the same upstream"),
        (
            ("--from", "opik", "--to", "scale", "--since", "2026-02-01", "--until", "2026-01-01"),
            "is not before --until",
        ),
    ],
)
def test_the_command_refuses_a_job_that_cannot_be(fakes, tmp_path, capsys, args, says):
    opik, scale = fakes("opik", "scale")
    cfg = write_config(tmp_path, {"opik": opik, "scale": scale})
    assert main(["backfill", "--config", str(cfg), "--quiet", *args]) == 2
    assert says in capsys.readouterr().err


def test_the_progress_bar_shows_items_read_of_all_and_records_written_of_queued():
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from proxy.backfill.job import Job
    from proxy.backfill.progress import ProgressView
    from proxy.backfill.report import Tally

    buf, tally = io.StringIO(), Tally()
    view = ProgressView(Console(file=buf, width=170, force_terminal=False))
    view.start(SimpleNamespace(job=Job("opik", "scale"), tally=tally), "traces, page 8")
    tally.items["traces"], tally.totals["traces"], tally.pages, tally.queued, tally.present = 500, 2000, 5, 1500, 12
    view.page(tally, 700)
    view.delivering(tally, 1500, 3, "scale answered 503")
    view.stop()
    text = buf.getvalue()
    assert "back-fill opik -> scale: resuming at traces, page 8" in text
    assert "500/2000" in text and "500 traces (5 pages)" in text
    assert "1500/1500" in text and "12 present, 0 not carried; 3 waiting; last error: scale answered 503" in text


def test_check_refuses_a_broken_history_file_beside_the_mappings(tmp_path, capsys):
    mappings = tmp_path / "mappings"
    (mappings / "history").mkdir(parents=True)
    for vendor in map(vendors.get, vendors.names()):  # a mappings_dir: <vendor>.yaml, history/<vendor>.yaml
        shutil.copy(vendor.mapping, mappings / f"{vendor.name}.yaml")
        if vendor.history:
            shutil.copy(vendor.history, mappings / "history" / f"{vendor.name}.yaml")
    broken = mappings / "history" / "tracia.yaml"
    broken.write_text(broken.read_text().replace("style: cursor", "style: sideways"))
    cfg = tmp_path / "proxy.yaml"
    cfg.write_text(
        f"mappings_dir: {mappings}\nupstreams:\n  opik: {{vendor: opik, base_url: 'http://127.0.0.1:9/api'}}\n"
        "routes:\n  - {from: tracia, primary: opik}\n"
    )
    assert main(["check", "--config", str(cfg)]) == 2
    assert "tracia.yaml:" in capsys.readouterr().err


def test_a_list_says_where_its_items_id_is():
    """The id recorded as the last item committed comes from the list's `item_id` (the reader
    names no vendor's field): Tracia's spans by their id, else their spanId; others by `id`."""
    from proxy.backfill.reader import _CompiledListing

    tracia, scale = (_CompiledListing(load_history(v).lists[0]) for v in ("tracia", "scale"))
    assert tracia.item_id({"id": "ev_1", "spanId": "sp_1"}) == "ev_1" and tracia.item_id({"spanId": "sp_1"}) == "sp_1"
    assert scale.item_id({"id": "s1"}) == "s1" and scale.item_id({"spanId": "sp_1"}) is None
