"""Records waiting for the same upstream travel together: many Tracia evaluations
become a few Opik batch PUTs (up to 1000 scores each)."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import FAST_DELIVERY, wait_for

N = 300


async def evaluate_all(url: str) -> list[int]:
    gate = asyncio.Semaphore(32)  # the client's own pool must not be what times out on a busy machine
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30.0)) as client:

        async def one(i: int) -> int:
            async with gate:
                r = await client.post(
                    f"/api/v1/spans/sp_{i:016x}/evaluations",
                    json={"evaluatorKey": "quality", "value": i % 2, "note": f"n{i}"},
                    headers={"Authorization": "Bearer tr_client"},
                )
            return r.status_code

        return await asyncio.gather(*(one(i) for i in range(N)))


def test_many_evaluations_reach_an_opik_mirror_in_a_few_batches(live_proxy, upstreams, tmp_path):
    url = live_proxy(
        [{"from": "tracia", "mirrors": ["opik"]}],
        store=f"sqlite:///{tmp_path}/proxy.db",
        delivery={**FAST_DELIVERY, "linger_ms": 150},
    )
    assert asyncio.run(evaluate_all(url)) == [200] * N
    opik = upstreams["opik"]
    wait_for(lambda: sum(len(b["scores"]) for b in opik.bodies("PUT")) >= N, timeout=60, what=f"{N} scores at Opik")
    puts = opik.bodies("PUT", r"/spans/feedback-scores$")
    notes = sorted(item["reason"] for body in puts for item in body["scores"])
    assert notes == sorted(f"n{i}" for i in range(N))  # every evaluation once
    assert len(puts) <= N // 5, f"{len(puts)} PUTs for {N} scores: not batched"
