"""Tracia: error bodies, span ids, evaluation ids."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from proxy import ids
from proxy.codecs import core
from proxy.errors import Violation, describe
from proxy.model import MISSING, Reply

_SPAN_ID = re.compile(r"^(sp|tr)_[0-9a-f]{16}$")
_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "INVALID_REQUEST",
    422: "INVALID_REQUEST",
    429: "RATE_LIMITED",
}


def error_body(status: int, code: str, message: str, violations: list[Violation]) -> Reply:
    """Both SDK readers: nested `error` (the SDKs) and flat copies (the docs)."""
    if violations:
        status, message = 400, "; ".join(describe(v) for v in violations)
    code = _CODES.get(status, "PROVIDER_ERROR" if status >= 500 else "INVALID_REQUEST")
    return Reply(status, {"error": {"code": code, "message": message}, "code": code, "message": message})


def span_id(ref: Any, kind: str, ctx: dict) -> str:
    """A Tracia span id: kept when it already is one, else `sp_` + 16 hex derived from it."""
    if _SPAN_ID.match(ref.value):
        return ref.value
    return "sp_" + ids.derived_hex(ctx["secret"], f"{ref.vendor}:{ref.value}")


def trace_id(ref: Any, kind: str, ctx: dict) -> str:
    if _SPAN_ID.match(ref.value):
        return ref.value
    return "tr_" + ids.derived_hex(ctx["secret"], f"{ref.vendor}:{ref.value}")


def trace_of(value: Any, src: dict) -> Any:
    """A span's trace id: the `traceId` it was sent with. A span sent without one (the SDK's
    run_local always names one; spans.create may not) is in a trace of its own, never under
    its own id as the trace's (Opik would get one UUID for two entities): `own_trace_id` of
    its parent when it names one (the trace a parent sent without one got), else of itself."""
    item = src.get("item")
    if not isinstance(item, dict) or item.get("traceId") is not None:
        return value
    first = item.get("parentSpanId") or item.get("spanId")
    return own_trace_id(first) if isinstance(first, str) else value


def own_trace_id(span_id: str) -> str:
    """The trace of a Tracia span sent with no trace: the same for the same span on every
    instance and every re-send (a hash of the id alone; id_secret keys only the ids made from
    another vendor's)."""
    return "tr_" + hashlib.sha256(f"tracia trace of {span_id}".encode()).hexdigest()[:16]


def evaluation_id(value: Any, src: dict) -> str:
    """An `eval_` id for an answer the proxy synthesizes, stable for the record."""
    return "eval_" + str(value).replace("-", "")[-16:]


# --- spans ------------------------------------------------------------------------


def span_result_id(value: Any, src: dict) -> str:
    """The `id` of a CreateSpanResult the proxy synthesizes: `span_` + 16 hex, stable for the
    span's record key (Tracia's own ids are server-side and of no documented format)."""
    return "span_" + hashlib.sha256(str(value).encode()).hexdigest()[:16]


def input_messages(value: Any, src: dict) -> Any:
    """Tracia's span input is `{"messages": [...]}`: an input that has a `messages` list goes as
    it is; anything else becomes one user message holding its text (JSON for non-text)."""
    if value is None or value is MISSING:
        return {"messages": []}
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        return value
    content = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), default=str)
    return {"messages": [{"role": "user", "content": content}]}


def latency_ms(value: Any, src: dict) -> Any:
    """The span's duration in whole milliseconds, from its start (`value`) and its end time
    (the record's `end_time`); absent when either is unknown."""
    rec = src.get("rec")
    start, end = core.epoch_ms(value), core.epoch_ms(getattr(rec, "end_time", None))
    if start is None or end is None:
        return None
    return max(0, round(end - start))


def started_at(value: Any, src: dict) -> Any:
    """A Tracia span is posted once its call has ended and names no times: it ended now (the
    request's time) and began `latencyMs` (`value`) before."""
    end = core.epoch_ms(core.now_iso(None, src))
    latency = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
    if not 0 <= latency <= end:  # no start before 1970 (the latency's own rule refuses it, and says why)
        return None
    return core.iso_ms(end - latency)


def usage_in(value: Any, src: dict) -> Any:
    """inputTokens / outputTokens / totalTokens of a span (read from the item) as the canonical usage."""
    value = src.get("item")
    if not isinstance(value, dict):
        return None
    out = {
        k: value[w]
        for w, k in _TOKENS.items()
        if isinstance(value.get(w), (int, float)) and not isinstance(value.get(w), bool)
    }
    return out or None


_TOKENS = {"inputTokens": "input_tokens", "outputTokens": "output_tokens", "totalTokens": "total_tokens"}
# What a Tracia span says beyond the canonical fields, kept in the canonical metadata under Tracia's names.
_SPAN_EXTRAS = ("userId", "variables", "temperature", "maxOutputTokens", "topP", "tools", "toolCalls")


def span_metadata(value: Any, src: dict) -> Any:
    """What a span says beyond the canonical fields (read from the item), under Tracia's names."""
    value = src.get("item")
    if not isinstance(value, dict):
        return None
    return {k: value[k] for k in _SPAN_EXTRAS if value.get(k) is not None} or None
