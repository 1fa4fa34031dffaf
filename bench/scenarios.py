"""What the benchmark sends, and the proxy configs it runs: one entry per row of bench/RESULTS.md.

Every id in a request is fresh (`@ID@`, see harness.py), so each request is new
feedback, as in production: nothing is answered from the proxy's dedupe store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from proxy import vendors

TRACIA_PATH = "/api/v1/spans/sp_0000@ID@/evaluations"
TRACIA_BODY = json.dumps({"evaluatorKey": "quality", "value": 1, "note": "looks right"})
TRACIA_HEADERS = {"Authorization": "Bearer tr_bench_key"}

OPIK_BATCH_PATH = "/api/v1/private/traces/feedback-scores"
OPIK_HEADERS = {"Authorization": "opik-bench-key", "Comet-Workspace": "bench"}


def opik_batch(n: int) -> str:
    """n trace scores, each on its own fresh trace (UUIDv7 ids, kept as they are)."""
    return json.dumps(
        {
            "scores": [
                {
                    "id": "01a20c41-cda1-7a06-b0a1-@ID@",
                    "name": "accuracy",
                    "value": 0.5 + (i % 5) / 10,
                    "source": "sdk",
                    "reason": "bench",
                    "project_name": "bench",
                }
                for i in range(n)
            ]
        }
    )


SCALE_PATH = "/v5/span-assessments"
SCALE_BODY = json.dumps(
    {"trace_id": "tr_@ID@", "span_id": "sp_@ID@", "assessment_type": "rating", "rating": 4, "comment": "good"}
)
SCALE_HEADERS = {"x-api-key": "sgp-bench-key", "x-selected-account-id": "acct_bench"}


@dataclass
class Scenario:
    key: str
    title: str
    method: str
    path: str
    body: str
    headers: dict
    records: int = 1  # assessments per request
    routes: list = field(default_factory=list)  # None: not a proxy row (upstream alone, naive)
    note: str = ""


SCENARIOS = [
    Scenario(
        "tracia-opik",
        "Tracia → Opik (translating primary)",
        "POST",
        TRACIA_PATH,
        TRACIA_BODY,
        TRACIA_HEADERS,
        routes=[{"from": "tracia", "primary": "opik"}],
    ),
    Scenario(
        "tracia-opik+scale",
        "Tracia → Opik + durable Scale mirror",
        "POST",
        TRACIA_PATH,
        TRACIA_BODY,
        TRACIA_HEADERS,
        routes=[{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}],
        note="each record is committed to the outbox for Scale before the answer, unless the mapping declares it a "
        "loss "
        "up front (Scale needs a trace_id; a Tracia evaluation names only its span)",
    ),
    Scenario(
        "opik100-scale",
        "Opik 100-score batch → Opik + durable Scale mirror",
        "PUT",
        OPIK_BATCH_PATH,
        opik_batch(100),
        OPIK_HEADERS,
        records=100,
        routes=[{"from": "opik", "primary": "opik", "mirrors": ["scale"]}],
        note="forwarded verbatim to Opik, 100 records committed for Scale (one POST each on delivery)",
    ),
    Scenario(
        "scale-opik",
        "Scale → Opik (translating primary)",
        "POST",
        SCALE_PATH,
        SCALE_BODY,
        SCALE_HEADERS,
        routes=[{"from": "scale", "primary": "opik"}],
    ),
    Scenario(
        "tracia-opik-replay",
        "Tracia → Opik, one request repeated (REPLAY: answered from the dedupe store)",
        "POST",
        TRACIA_PATH.replace("@ID@", "000000000001"),
        TRACIA_BODY,
        TRACIA_HEADERS,
        routes=[{"from": "tracia", "primary": "opik"}],
        note="the same body every time: after the first, each is a repeated POST answered with the kept answer "
        "(README, Delivery), not translated; shown so that no fresh-id row is mistaken for it",
    ),
]
BY_KEY = {s.key: s for s in SCENARIOS}


def proxy_config(
    directory: Path,
    upstream_url: str,
    routes: list,
    store: str = "sqlite",
    sync: str = "normal",
    log_level: str = "warning",
) -> Path:
    """A config file for one proxy process: every vendor of the registry on the one fake upstream,
    under its profile's base path (proxy/vendors/<vendor>/profile.yaml)."""
    db = directory / f"proxy-{len(list(directory.glob('*.yaml')))}.db"
    cfg = {
        "server": {"host": "127.0.0.1", "port": 0},
        "upstreams": {
            v.name: {
                "vendor": v.name,
                "base_url": upstream_url + (v.profile.get("base_path") or ""),
                "headers": v.profile["upstream"]["headers"],
            }
            for v in map(vendors.get, vendors.names())
        },
        "routes": routes,
        "store": f"sqlite:///{db}" if store == "sqlite" else store if "://" in store else "memory://",
        "store_sync": sync,
        "log_level": log_level,
    }
    path = directory / f"{db.stem}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path
