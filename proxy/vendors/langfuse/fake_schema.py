"""What the fake Langfuse (fake.py) refuses, as Langfuse's zod schemas do: a score's target
rule and its value by data type; the observation types an ingestion event may name."""

from __future__ import annotations

from typing import Any

from .errors import TARGET_RULE

OBSERVATION_TYPES = {
    "span",
    "generation",
    "event",
    "agent",
    "tool",
    "chain",
    "retriever",
    "evaluator",
    "embedding",
    "guardrail",
    "observation",
}


def score_problem(score: Any) -> str | None:
    """Why Langfuse's zod schema refuses a score, or None."""
    if not isinstance(score, dict):
        return "Expected object"
    targets = [k for k in ("traceId", "sessionId", "datasetRunId") if score.get(k) is not None]
    if len(targets) != 1 or (score.get("observationId") is not None and score.get("traceId") is None):
        return TARGET_RULE
    if not isinstance(score.get("name"), str) or not score["name"]:
        return "name: Required"
    value, kind = score.get("value"), score.get("dataType")
    if kind == "BOOLEAN" and value not in (0, 1):
        return "Value must be a number equal to either 0 or 1 for data type BOOLEAN"
    if kind == "NUMERIC" and not isinstance(value, (int, float)):
        return "Value must be a number for data type NUMERIC"
    if kind in ("CATEGORICAL", "TEXT", "CORRECTION") and not isinstance(value, str):
        return f"Value must be a string for data type {kind}"
    if not isinstance(value, (int, float, str)):
        return "value: Required"
    return None
