"""Langfuse: its error bodies (zod's, its BaseError's, the ingestion route's), free-string ids,
score values by data type, and the 207 bodies of its batch routes."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from proxy.codecs import core
from proxy.model import MISSING

# the error bodies and the OTLP route's reading, in their own files, are this codec's functions too
from .errors import TARGET_RULE, error_body, ingestion_error, issue_text, otel_error, zod_issue  # noqa: F401
from .otel_traces import read_otel_traces  # noqa: F401

TEXT_MAX = 500  # TEXT_SCORE_MAX_LENGTH


def _absent(value: Any) -> bool:
    return value is None or value is MISSING


# --- ids -------------------------------------------------------------------------------


def free_id(ref: Any, kind: str, ctx: dict) -> str:
    """Langfuse ids are free strings (1-800 characters): a foreign id is used as it is."""
    if len(ref.value) <= 800:
        return ref.value
    return hashlib.sha256(f"{ref.vendor}:{ref.value}".encode()).hexdigest()


def score_id(value: Any, src: dict) -> Any:
    """A score's id at Langfuse: the id a Langfuse client gave it, else the proxy's record id
    (stable per entity and name for vendors that overwrite by name): a re-send is an upsert."""
    rec = src.get("rec")
    if rec is not None and rec.origin.get("vendor") == "langfuse" and rec.vendor_id:
        return rec.vendor_id
    return value


def event_id(value: Any, src: dict) -> Any:
    """An ingestion envelope id: the record's id and a digest of what is sent, so each new state of a
    span is a new event (envelope ids deduplicate) and an answer's error names its record."""
    rec = src.get("rec")
    seen = json.dumps(rec.present() if rec is not None else value, sort_keys=True, default=str)
    return f"{value}.{hashlib.sha256(seen.encode()).hexdigest()[:12]}"


def trace_event_id(value: Any, src: dict) -> Any:
    """The envelope id of the trace-create a root span also makes (its span-create has event_id)."""
    made = event_id(value, src)
    return f"{made}.trace" if isinstance(made, str) else made


# --- values -----------------------------------------------------------------------------


def text_value(value: Any, src: dict) -> Any:
    """A TEXT score's value: 1-500 characters (longer text is cut; the loss report says so)."""
    if _absent(value):
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:TEXT_MAX] if text else None


def categorical_value(value: Any, src: dict) -> Any:
    """The number of a categorical label, as Langfuse stores it without a config: its numeric reading
    ("pass" 1, "0.8" 0.8), else 0."""
    if _absent(value):
        return None
    n = core.label_score(value, src)
    return 0 if n is None else n


def boolean_label(value: Any, src: dict) -> Any:
    if _absent(value):
        return None
    return "True" if value == 1 else "False"


def observation_type(value: Any, src: dict) -> Any:
    """An ingestion event's type as the canonical span type."""
    if not isinstance(value, str):
        return None
    kind = value.rsplit("-", 1)[0]
    return {
        "generation": "llm",
        "span": "general",
        "event": "general",
        "tool": "tool",
        "guardrail": "guardrail",
        "embedding": "embedding",
    }.get(kind, "general")


# --- 207 bodies -----------------------------------------------------------------------


def score_errors(value: Any, src: dict) -> Any:
    """The errors of a 207 to a score array: one {"message"} per rejected score."""
    return [{"message": issue_text(violations)} for _, _, violations in value or []]


def ingestion_successes(value: Any, src: dict) -> Any:
    return [{"id": item.get("id") if isinstance(item, dict) else None, "status": 201} for _, item in value or []]


def ingestion_errors(value: Any, src: dict) -> Any:
    out = []
    for _, item, violations in value or []:
        eid = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else "unknown"
        out.append({"id": eid, "status": 400, "message": "Invalid request data", "error": issue_text(violations)})
    return out


# --- decoding a score object (CreateScoreRequest / ScoreBody) -------------------------------
# A rule reads one field (`from: item.value`); the function reads the score it is in (the element,
# or an ingestion event's body) for what decides its meaning: the data type.


def _score(src: dict) -> dict:
    item = src.get("item")
    if isinstance(item, dict) and isinstance(item.get("body"), dict) and "type" in item:
        return item["body"]  # an ingestion event: the score is its body
    return item if isinstance(item, dict) else {}


def _data_type(score: dict) -> str:
    kind = score.get("dataType")
    if isinstance(kind, str):
        return kind
    return "NUMERIC" if isinstance(score.get("value"), (int, float)) else "CATEGORICAL"


def score_number(value: Any, src: dict) -> Any:
    """A score's canonical value: the number of a NUMERIC or BOOLEAN score; a CATEGORICAL or TEXT
    label's numeric reading, else 0 (as Langfuse stores it without a config); a CORRECTION has none."""
    kind = _data_type(_score(src))
    if kind == "CORRECTION" or _absent(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return categorical_value(value, src) if kind in ("CATEGORICAL", "TEXT") else None


def score_label(value: Any, src: dict) -> Any:
    """A BOOLEAN score's "True"/"False", a CATEGORICAL or TEXT score's text."""
    kind = _data_type(_score(src))
    if kind == "BOOLEAN" and isinstance(value, (int, float)):
        return boolean_label(value, src)
    if kind in ("CATEGORICAL", "TEXT") and isinstance(value, str):
        return value
    return None


def score_correction(value: Any, src: dict) -> Any:
    return value if _data_type(_score(src)) == "CORRECTION" and isinstance(value, str) else None


def score_scale(value: Any, src: dict) -> Any:
    return [0, 1] if _data_type(_score(src)) == "BOOLEAN" else None


def score_entity(value: Any, src: dict) -> Any:
    """What a score is about: an observation (span), a trace, a session (thread) or a dataset run (run)."""
    score = _score(src)
    if score.get("observationId") is not None:
        return "span"
    if score.get("traceId") is None and score.get("sessionId") is not None:
        return "thread"
    if score.get("traceId") is None and score.get("datasetRunId") is not None:
        return "run"
    return "trace"


_KEPT = ("environment", "configId", "queueId", "datasetRunId", "dataType")


def score_metadata(value: Any, src: dict) -> Any:
    """The score's metadata (an object; any other JSON under "metadata"), with the Langfuse fields
    no other vendor has a place for: environment, configId, queueId, datasetRunId, dataType."""
    score = _score(src)
    out = dict(value) if isinstance(value, dict) else {} if _absent(value) else {"metadata": value}
    out.update({k: score[k] for k in _KEPT if score.get(k) is not None and k not in out})
    return out or None


def metadata_out(value: Any, src: dict) -> Any:
    """The canonical metadata as a Langfuse score's, less what has a field of its own (environment)."""
    if not isinstance(value, dict):
        return {} if value is None or value is MISSING else {"metadata": value}
    return {k: v for k, v in value.items() if k not in ("environment", "dataType", "datasetRunId")}


def environment_out(value: Any, src: dict) -> Any:
    """Langfuse's environment rule: lower case, [a-z0-9-_], at most 40 characters (else it is "default")."""
    if not isinstance(value, str):
        return None
    value = value.lower()
    return value if re.fullmatch(r"[a-z0-9_-]{1,40}", value) and not value.startswith("langfuse") else None


def usage_out(value: Any, src: dict) -> Any:
    """Canonical token counts as a Langfuse generation's usage (input, output, total)."""
    if not isinstance(value, dict):
        return None
    names = {"input_tokens": "input", "output_tokens": "output", "total_tokens": "total"}
    return {names[k]: int(v) for k, v in value.items() if k in names and isinstance(v, (int, float))} or None


def usage_in(value: Any, src: dict) -> Any:
    """A Langfuse usage (input/output/total, or promptTokens/completionTokens) as canonical counts."""
    if not isinstance(value, dict):
        return None
    names = {
        "input": "input_tokens",
        "output": "output_tokens",
        "total": "total_tokens",
        "promptTokens": "input_tokens",
        "completionTokens": "output_tokens",
        "totalTokens": "total_tokens",
    }
    out = {names[k]: v for k, v in value.items() if k in names and isinstance(v, (int, float))}
    if "total_tokens" not in out and ("input_tokens" in out or "output_tokens" in out):
        out["total_tokens"] = out.get("input_tokens", 0) + out.get("output_tokens", 0)
    return out or None


# --- reading its history (mappings/history/langfuse.yaml) ------------------------------------


def v3_value(score: Any, src: dict) -> Any:
    """A v3 score's value as a write takes it: a BOOLEAN's true/false as 1/0."""
    value = score.get("value") if isinstance(score, dict) else None
    return int(value) if isinstance(value, bool) else value


def _subject(subject: Any, kinds: tuple[str, ...], key: str = "id") -> Any:
    return subject.get(key) if isinstance(subject, dict) and subject.get("kind") in kinds else None


def subject_trace(subject: Any, src: dict) -> Any:
    """A v3 score's subject: a trace's id, or an observation's trace."""
    return _subject(subject, ("trace",)) or _subject(subject, ("observation",), "traceId")


def subject_observation(subject: Any, src: dict) -> Any:
    return _subject(subject, ("observation",))


def subject_session(subject: Any, src: dict) -> Any:
    return _subject(subject, ("session",))


def subject_run(subject: Any, src: dict) -> Any:
    return _subject(subject, ("experiment", "dataset_run", "datasetRun"))
