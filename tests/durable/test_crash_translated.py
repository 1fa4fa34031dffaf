"""A translated primary's new ids across a kill: Tracia evaluations of spans the proxy has never
seen, sent to an Opik primary, while the proxy is killed (SIGKILL, or stopped with SIGTERM) and
started again on the same store. Each span's evaluations are separate requests, the second often
after the restart, and the client sends again whatever was not answered. Every Tracia span must
end as one Opik span holding both its scores: the Opik id claimed for a span (settled in the
group commit before the send, proxy/store/cached_ids.py) is the one every later request uses,
and none lands on a second, orphan id."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from proxy.testing import FakeServer, FakeVendor, free_port
from tests.scaleout.common import saved, start, stop, upstream

SPANS = 300
NAMES = ("quality", "tone")


def write_config(tmp_path: Path, opik_port: int) -> Path:
    cfg = {
        "store": f"sqlite:///{tmp_path}/proxy.db",
        "upstreams": {"opik": upstream("opik", f"http://127.0.0.1:{opik_port}", 5)},
        "routes": [{"from": "tracia", "primary": "opik"}],
        "log_level": "warning",
    }
    return saved(tmp_path, cfg)


def evaluations() -> list[tuple[int, str]]:
    """Each span's first evaluation, and its second SPANS // 2 requests later: the two are apart in
    time, so that a kill falls between them for many spans."""
    out: list[tuple[int, str]] = []
    for i in range(SPANS + SPANS // 2):
        if i < SPANS:
            out.append((i, NAMES[0]))
        if i >= SPANS // 2:
            out.append((i - SPANS // 2, NAMES[1]))
    return out


async def send_all(port: int, todo: list[tuple[int, str]], acked: set, stop_after: int | None = None, stop=None):
    queue, stopped = list(todo), False

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal stopped
        while queue and not stopped:
            span, name = queue.pop(0)
            try:
                r = await client.post(
                    f"http://127.0.0.1:{port}/api/v1/spans/sp_{span:016x}/evaluations",
                    json={"evaluatorKey": name, "value": span},
                    timeout=10,
                )
            except httpx.HTTPError:
                continue
            if r.status_code < 300:
                acked.add((span, name))
            if stop_after is not None and len(acked) >= stop_after and not stopped:
                stopped = True
                stop()

    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(one(client) for _ in range(16)))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_new_ids_claimed_before_a_kill_are_the_ones_every_later_evaluation_uses(tmp_path, sig):
    opik_port, port = free_port(), free_port()
    config = write_config(tmp_path, opik_port)
    todo, acked = evaluations(), set()
    with FakeServer(FakeVendor("opik"), port=opik_port) as opik:
        proc = start(config, port, tmp_path / "proxy.log")
        try:
            asyncio.run(send_all(port, todo, acked, stop_after=len(todo) // 2, stop=lambda: os.kill(proc.pid, sig)))
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode in (-sig, 0), proc.returncode  # SIGTERM: a graceful stop exits 0
        killed_at = len(acked)
        assert len(todo) // 2 <= killed_at < len(todo)

        proc = start(config, port, tmp_path / "proxy.log")
        try:  # the client sends again whatever was not answered
            asyncio.run(send_all(port, [e for e in todo if e not in acked], acked))
        finally:
            stop(proc)
        assert acked == set(todo)
        holders: dict[int, set[str]] = {}  # Tracia span (by its score's value) -> the Opik spans holding its scores
        names: dict[tuple[int, str], set[str]] = {}
        for (kind, opik_span), scores in opik.vendor.history.scores.items():
            assert kind == "span"
            for name, score in scores.items():
                span = int(score["value"])
                holders.setdefault(span, set()).add(opik_span)
                names.setdefault((span, name), set()).add(opik_span)
    split = {span: ids for span, ids in holders.items() if len(ids) != 1}
    assert not split, f"{len(split)} Tracia spans' scores on two Opik spans, e.g. {next(iter(split.items()))}"
    assert set(names) == set(todo), f"{len(set(todo) - set(names))} evaluations lost"
    assert len({opik_span for ids in holders.values() for opik_span in ids}) == SPANS
    print(f"\n{sig.name} after {killed_at} of {len(todo)} answered; {SPANS} Tracia spans, one Opik span each")
