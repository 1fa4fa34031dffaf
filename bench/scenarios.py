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

TRACIA_SPAN_PATH = "/api/v1/spans"
TRACIA_SPAN_BODY = json.dumps(  # the span an evaluation above is about: the same @ID@ (bench/harness.py, wrk_script)
    {
        "spanId": "sp_0000@ID@",
        "traceId": "tr_0000@ID@",
        "model": "gpt-4o",
        "provider": "openai",
        "input": {"messages": [{"role": "user", "content": "2+2?"}]},
        "output": "4",
        "status": "SUCCESS",
        "latencyMs": 12,
        "inputTokens": 3,
        "outputTokens": 1,
        "totalTokens": 4,
    }
)

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
    # (method, path, body) sent before each request above, on another connection, with the same @ID@s
    # (the span an evaluation is about): the two are in flight together, so either may be taken first
    before: tuple[str, str, str] | None = None

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        """What one round sends, in order; every @ID@ of a round is the same fresh value."""
        return ([self.before] if self.before else []) + [(self.method, self.path, self.body)]

    @property
    def records_per_request(self) -> float:
        """Assessments per request sent (a span sent before each is a request that carries none)."""
        return self.records / len(self.steps)

    @property
    def mirrors(self) -> bool:
        return any(r.get("mirrors") for r in self.routes)


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
        note="each record is committed to the outbox for Scale before the answer; Scale needs the trace, which only "
        "the span an evaluation is about brings, and this row sends none: each evaluation waits for its span, "
        "not delivered (the next row sends the spans)",
    ),
    Scenario(
        "tracia-opik+scale-spans",
        "Tracia → Opik + durable Scale mirror, each evaluation sent with its span (the mirror's lag)",
        "POST",
        TRACIA_PATH,
        TRACIA_BODY,
        TRACIA_HEADERS,
        routes=[{"from": "tracia", "primary": "opik", "mirrors": ["scale"]}],
        note="half the requests are the spans the other half evaluate (req/s counts both), so Scale can take every "
        "evaluation; an evaluation taken before its span reached Scale waits for it (README, Delivery)",
        before=("POST", TRACIA_SPAN_PATH, TRACIA_SPAN_BODY),
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
