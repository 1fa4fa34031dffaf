"""Issue 20's targets, each with this run's figure and whether it was met: the last table of
bench/run.py's results (`res` is what run.py measured)."""

from __future__ import annotations

import statistics

# the test that asserts what a benchmark cannot: an evaluation sent before its span is released by the span
RELEASE_TEST = (
    "tests/spans/test_from_tracia.py::"
    "test_an_evaluation_waiting_for_its_span_is_sent_as_soon_as_the_span_is_not_on_its_retry_timer"
)


MET = {True: "yes", False: "**no**", None: "reported"}  # None: a figure the issue asks to report, not to meet


def table(res: dict) -> list[str]:
    rows = targets(res)
    return [
        "### Targets (issue 20)",
        "",
        "| target | this run | met |",
        "|---|---|---|",
        *[f"| {name} | {fig} | {MET[ok]} |" for name, fig, ok in rows],
    ]


def targets(res: dict) -> list[tuple[str, str, bool]]:
    t, rate, dec, dur = res["throughput"], res["rate"], res["decode"], res["durable"]
    ceiling = t[1]["rps"]
    by_key = {r.get("key"): r for r in t[2:] if "memory://" not in r["title"]}
    tracia, mirrored, lagged = by_key["tracia-opik"], by_key["tracia-opik+scale"], by_key["tracia-opik+scale-spans"]
    normal = next(r["records_per_s"] for r in dur if "normal" in r["store"] and r["per_request"] == 1)
    full = next(r["records_per_s"] for r in dur if "full" in r["store"] and r["per_request"] == 1)
    # The gap of each interleaved pair of runs, and whether the machine let the naive row run clean
    # (a p99 within 5x its p50): on a machine this busy a scheduling stall can land on either row.
    p99_gap = statistics.median(c - b for b, c in zip(rate[0]["runs_p99"], rate[1]["runs_p99"], strict=True))
    clean = [p99 <= 5 * p50 for p99, p50 in zip(rate[0]["runs_p99"], rate[0]["runs_p50"], strict=True)]
    max_rss = max(r["rss_mb"] for r in by_key.values())  # memory:// keeps every record in the process: not counted
    return [
        ratio("fresh-id Tracia → Opik (SQLite store)", tracia, ceiling, 0.7),
        ratio("the same with the durable Scale mirror", mirrored, ceiling, 0.5),
        (
            f"p99 at a fixed {res['rate_rps']} req/s within 2 ms of the naive forwarder's",
            f"{rate[1]['p99']:.2f} vs {rate[0]['p99']:.2f} ms; median gap of the paired runs {p99_gap:+.2f} ms"
            + (
                ""
                if all(clean)
                else f" ({clean.count(False)} of {len(clean)} naive runs had a p99 over 5× their p50: the machine was "
                f"busy)"
            ),
            p99_gap <= 2 and all(clean),
        ),
        (
            "the 1,000-score Opik batch decoded in ≤ 3 ms",
            f"{dec['decode_ms']:.2f} ms, record ids included",
            dec["decode_ms"] <= 3,
        ),
        ("RSS < 150 MB under load", f"{max_rss:.0f} MB peak (largest proxy, SQLite store)", max_rss < 150),
        mirror_lag(lagged, res["steady_lag"], res["rate_rps"]),
        (
            "durable path ≥ 3,000 assessments/s acknowledged on one core (SQLite outbox, group commit; kept from "
            "issue 8)",
            f"{normal:.0f}/s with `store_sync: normal` (the default), {full:.0f}/s with `full`, one record per request",
            normal >= 3000,
        ),
    ]


def ratio(what: str, row: dict, ceiling: float, at_least: float) -> tuple[str, str, bool]:
    return (
        f"{what} ≥ {at_least}× the naive forwarder's req/s at 32 connections",
        f"{row['rps']:.0f} / {ceiling:.0f} = {row['rps'] / ceiling:.2f}×",
        row["rps"] >= at_least * ceiling,
    )


def mirror_lag(row: dict, steady: dict, rate: int) -> tuple[str, str, bool | None]:
    """Reported, not judged: issue 20 asks the bench to report the lag under load, and a test to assert
    the 1 s (RELEASE_TEST). The lag runs from the evaluation's acceptance, so it holds its span's own
    delivery as well as the release. At the fixed rate it is what a healthy mirror's user sees; at 32
    connections the proxy takes evaluations faster than one Scale POST each drains them, so under that
    load it is mostly the mirror's backlog."""
    lag = row["lag"]
    name = (
        f"a score sent before its span reaches a healthy mirror within 1 s of the span (asserted by `{RELEASE_TEST}`); "
        "the Scale mirror's lag p50/p99 under load"
    )
    if not lag or not lag["delivered"]:
        return name, "nothing delivered to the mirror during the run", False
    at_rate = f"at a fixed {rate} req/s: nothing delivered"
    if steady["delivered"]:
        at_rate = (
            f"at a fixed {rate} req/s: {steady['p50'] * 1000:.0f} / {steady['p99'] * 1000:.0f} ms over "
            f"{steady['delivered']:.0f}"
        )
    waiting = f"; {lag['waiting']:.0f} still waiting after the load" if lag["waiting"] else ""
    figure = (
        f"{at_rate}; at 32 connections (the mirror's backlog): {lag['p50'] * 1000:.0f} / {lag['p99'] * 1000:.0f} "
        f"ms, over {lag['delivered']:.0f} (row: {row['title'][3:]}){waiting}; from acceptance to Scale's answer, "
        "evaluations and spans, interpolated within the histogram's buckets"
    )
    return name, figure, None
