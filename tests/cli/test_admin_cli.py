"""feedback-proxy outbox and dead-letters on a real SQLite store."""

from __future__ import annotations

import json

from proxy.model import Assessment, Ref
from proxy.store.sqlite import SQLiteStore
from tests.cli.test_cli import run


def setup(tmp_path):
    db = tmp_path / "proxy.db"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f'store: "sqlite:///{db}"\nupstreams: {{}}\n')
    store = SQLiteStore(str(db))
    recs = [
        Assessment(
            op="upsert", entity="span", span_id=Ref("tracia", f"sp_{i:016x}"), name="quality", value=1, id=f"r{i}"
        )
        for i in range(4)
    ]
    store.enqueue(
        [
            ("scale", recs[0], "req-a"),
            ("scale", recs[1], "req-b"),
            ("opik", recs[2], "req-c"),
            ("opik", recs[3], "req-d"),
        ]
    )
    claimed = store.claim("scale", 10, lease=30)
    store.bury(claimed[0].id, "scale answered 422: rating out of range")
    return str(cfg), store, claimed[0].id


def test_outbox_shows_depth_age_and_dead_letters(tmp_path):
    cfg, _, _ = setup(tmp_path)
    out = run("outbox", "--config", cfg)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["upstream", "waiting", "oldest", "dead"]
    assert lines[1].split()[0:2] == ["opik", "2"] and lines[1].split()[-1] == "0"
    assert lines[2].split()[0:2] == ["scale", "1"] and lines[2].split()[-1] == "1"


def test_dead_letters_list_show_replay_drop(tmp_path):
    cfg, store, dead_id = setup(tmp_path)
    out = run("dead-letters", "list", "--config", cfg)
    assert (
        out.returncode == 0
        and str(dead_id) in out.stdout
        and "rating out of range" in out.stdout
        and "attempts=1" in out.stdout
    )
    shown = json.loads(run("dead-letters", "show", str(dead_id), "--config", cfg).stdout)
    assert (
        shown["upstream"] == "scale"
        and shown["request_id"] == "req-a"
        and shown["record"]["span_id"] == ["tracia", "sp_0000000000000000"]
    )
    assert run("dead-letters", "show", "999", "--config", cfg).returncode == 1
    out = run("dead-letters", "replay", str(dead_id), "--config", cfg)
    assert out.returncode == 0 and "replayed 1" in out.stdout
    assert store.dead_letters() == [] and store.depth()["scale"][0] == 2
    store.bury(store.claim("scale", 10, lease=30)[0].id, "again")
    out = run("dead-letters", "drop", "--all", "--upstream", "scale", "--config", cfg)
    assert out.returncode == 0 and "dropped 1" in out.stdout
    assert run("dead-letters", "list", "--config", cfg).stdout.strip() == "no dead letters"
    assert run("dead-letters", "replay", "--config", cfg).returncode == 1


def test_replay_or_drop_all_with_no_dead_letters_says_so_and_succeeds(tmp_path):
    cfg, store, dead_id = setup(tmp_path)
    store.drop([dead_id])
    for action in ("replay", "drop"):
        out = run("dead-letters", action, "--all", "--config", cfg)
        assert (out.returncode, out.stdout, out.stderr) == (0, "no dead letters\n", "")
        out = run("dead-letters", action, "--all", "--upstream", "scale", "--config", cfg)
        assert (out.returncode, out.stdout) == (0, "no dead letters for upstream scale\n")
    assert store.depth()["scale"][0] == 1 and store.depth()["opik"][0] == 2  # nothing was touched


def test_show_with_no_id_says_what_to_name(tmp_path):
    cfg, _, _ = setup(tmp_path)
    out = run("dead-letters", "show", "--config", cfg)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr == (
        "name a dead letter id: feedback-proxy dead-letters show ID [ID ...] --config FILE "
        "(dead-letters list shows them)\n"
    )
    out = run("dead-letters", "replay", "12345", "--config", cfg)
    assert (out.returncode, out.stderr) == (1, "no dead letter with id 12345\n")


def test_read_only_commands_create_no_store_where_they_run(tmp_path):
    """outbox, dead-letters list|show|replay --all|drop --all and check, on a config whose store is
    the relative default, in a directory with no store: they say none exists, and leave none."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text("upstreams: {}\n")  # store: the default, sqlite:///./data/proxy.db
    here = tmp_path / "elsewhere"
    here.mkdir()
    note = "no store yet at ./data/proxy.db (sqlite:///./data/proxy.db): "
    out = run("outbox", "--config", str(cfg), cwd=here)
    assert (out.returncode, out.stdout) == (0, note + "outbox empty, no dead letters\n"), out.stderr
    for args in (["list"], ["replay", "--all"], ["drop", "--all"]):
        out = run("dead-letters", *args, "--config", str(cfg), cwd=here)
        assert (out.returncode, out.stdout) == (0, note + "no dead letters\n"), (args, out.stderr)
    out = run("dead-letters", "show", "1", "--config", str(cfg), cwd=here)
    assert (out.returncode, out.stderr) == (1, note + "no dead letter with id 1\n")
    assert run("check", "--config", str(cfg), cwd=here).returncode == 0
    assert list(here.iterdir()) == []
