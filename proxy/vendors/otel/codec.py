"""OpenTelemetry (OTLP/HTTP): GenAI evaluation results (`gen_ai.evaluation.result`) and spans.

The wire functions of mapping.yaml (spec.Wire) over the shared OTLP package (proxy/otlp/):
  read_traces / read_logs    the client's export -> the body its decode rules read:
                             {spans: [...], evaluations: [...], rejected: n, warning: text}
  reply_traces / reply_logs  every answer as OTLP/HTTP gives it: 200 + Export...ServiceResponse
                             (partial_success for what was rejected), or a google.rpc.Status,
                             in the request's encoding
  write_traces / write_logs  what the mapping's encode built -> an export request's bytes
                             (protobuf; `options: {encoding: json}` for OTLP JSON)
and the rule functions: nanos / iso_time (times), trace_id / span_id (ids in OTel's space),
error_body (google.rpc.Status as JSON).

An evaluation is a log record whose eventName (or, before OTLP 1.5, attribute `event.name`)
is gen_ai.evaluation.result, or a span event of that name: the first is about the span its
traceId/spanId name, the second about the span that carries it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from proxy import ids, ingress, otlp
from proxy.codecs import core
from proxy.errors import BadRequest, RequestError
from proxy.model import MISSING, Ref, Reply

EVENT = "gen_ai.evaluation.result"
_READ = (
    "gen_ai.evaluation.name",
    "gen_ai.evaluation.score.value",
    "gen_ai.evaluation.score.label",
    "gen_ai.evaluation.explanation",
)  # what the mapping reads: the rest of an event's attributes is metadata
SERVICE = "feedback-proxy"  # the service.name of what the proxy writes, unless the upstream's options name another


# --- ingress: the client's export -> the body the decode rules read -------------------------
def read_traces(raw: bytes, headers: dict, limits) -> dict:
    request = _read("traces", raw, headers, limits)
    spans, bad_spans = [], 0
    for span in otlp.spans(request):
        if span.get("traceId") and span.get("spanId"):
            spans.append({**_nested_attributes(span), "metadata": span.get("attributes") or None})
        else:
            bad_spans += 1
    evaluations, _, unread = _evaluations([e for e in otlp.span_events(request) if e.get("name") == EVENT])
    notes = [f"{bad_spans} span(s) with no traceId or spanId" if bad_spans else "", *unread]
    # an event that cannot be read is not a span rejected (the span is taken): the message says what was not
    return {
        "spans": spans,
        "evaluations": evaluations,
        "rejected": bad_spans,
        "message": "; ".join(n for n in notes if n),
    }


def read_logs(raw: bytes, headers: dict, limits) -> dict:
    request = _read("logs", raw, headers, limits)
    events = [
        r
        for r in otlp.log_records(request)
        if r.get("eventName") == EVENT or (r.get("attributes") or {}).get("event.name") == EVENT
    ]
    placed = [e for e in events if e.get("traceId") and e.get("spanId")]
    evaluations, unread_count, unread = _evaluations(placed)
    no_span = len(events) - len(placed)
    notes = [
        f"{no_span} evaluation(s) name no span (traceId and spanId); gen_ai.response.id alone is not looked up"
        if no_span
        else "",
        *unread,
    ]
    return {"evaluations": evaluations, "rejected": no_span + unread_count, "message": "; ".join(n for n in notes if n)}


def _read(signal: str, raw: bytes, headers: dict, limits) -> dict:
    request = otlp.read_export(signal, raw, headers.get("content-type"), limits)
    if limits is not None:  # what protobuf held is bounded as a JSON body is (OTLP's own nesting aside)
        ingress.check_shape(request, limits.max_depth + 8, limits.max_items, limits.max_string_length)
    return request


def _evaluations(events: list[dict]) -> tuple[list[dict], int, list[str]]:
    """(the events the decode can take, how many it cannot, why): each taken one with its
    attributes nested for the rules (its score a number) and the others kept as metadata."""
    out, unnamed, unscored = [], 0, 0
    for e in events:
        attrs = dict(e.get("attributes") or {})
        name = attrs.get("gen_ai.evaluation.name")
        if not isinstance(name, str) or not name.strip():
            unnamed += 1
            continue
        value = attrs.get("gen_ai.evaluation.score.value")
        if value is not None:
            if _number(value) is None:
                unscored += 1
                continue
            attrs["gen_ai.evaluation.score.value"] = _number(value)
        item = _nested_attributes({**e, "attributes": attrs})
        item["metadata"] = {k: v for k, v in attrs.items() if k not in _READ and k != "event.name"} or None
        out.append(item)
    notes = [
        f"{unnamed} evaluation(s) without gen_ai.evaluation.name" if unnamed else "",
        f"{unscored} evaluation(s) whose gen_ai.evaluation.score.value is not a number" if unscored else "",
    ]
    return out, unnamed + unscored, [n for n in notes if n]


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            return _number(float(value))
        except ValueError:
            return None
    return None


def _nested_attributes(item: dict) -> dict:
    """`attributes` (and `resource`) as nested objects by their dots, so a rule's path reads
    them: item.attributes.gen_ai.request.model. A key that is both a value and a prefix of
    others keeps its dotted form beside them."""
    out = dict(item)
    out["attributes"] = _nest(item.get("attributes") or {})
    out["resource"] = _nest(item.get("resource") or {})
    return out


def _nest(flat: dict) -> dict:
    out: dict = {}
    for key in sorted(flat, key=lambda k: k.count(".")):  # shorter first: a value is placed before any key below it
        parts = key.split(".")
        node = out if all(parts) else None
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[parts[-1]] = flat[key]
        else:
            out[key] = flat[key]  # no place by its dots (a value holds its prefix): kept whole
    return out


# --- the client's answer ---------------------------------------------------------------------
def reply_traces(reply: Reply, request) -> Reply:
    return _reply("traces", reply, request)


def reply_logs(reply: Reply, request) -> Reply:
    return _reply("logs", reply, request)


def _reply(signal: str, reply: Reply, request) -> Reply:
    if isinstance(reply.body, (bytes, bytearray)):  # an OTLP primary's own answer, forwarded as it came
        return reply
    try:
        encoding = otlp.encoding_of(request.headers.get("content-type"))
    except RequestError:
        encoding = "json"  # a content type OTLP does not define: its 415 in JSON
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-type"}
    if reply.status < 300:
        body = request.body if isinstance(request.body, dict) else {}
        content, ctype = otlp.export_response(signal, encoding, body.get("rejected", 0), body.get("message", ""))
        return Reply(200, content, {**headers, "content-type": ctype})
    message = reply.body.get("message", "") if isinstance(reply.body, dict) else str(reply.body or "")
    content, ctype = otlp.rpc_status(reply.status, message, encoding)
    return Reply(reply.status, content, {**headers, "content-type": ctype})


def error_body(status: int, code: str, message: str, violations: list) -> Reply:
    """google.rpc.Status as JSON (reply_* writes it in the request's encoding). OTLP has no 422:
    a body that breaks a rule is permanently bad data, 400, which no exporter retries."""
    status = 400 if status == 422 else status
    return Reply(status, {"code": otlp.replies.rpc_code(status), "message": message})


# --- egress: what the mapping built -> an export request --------------------------------------
def write_logs(body: dict, options: dict) -> tuple[bytes, str]:
    records = [_flat_attributes(r) for r in body.get("logRecords") or []]
    scoped = {"scope": {"name": SERVICE}, "logRecords": records}
    request = {"resourceLogs": [{"resource": _resource(options), "scopeLogs": [scoped]}]}
    return otlp.write_export("logs", request, _encoding(options))


def write_traces(body: dict, options: dict) -> tuple[bytes, str]:
    spans = [_flat_attributes(s) for s in body.get("spans") or []]
    scoped = {"scope": {"name": SERVICE}, "spans": spans}
    request = {"resourceSpans": [{"resource": _resource(options), "scopeSpans": [scoped]}]}
    return otlp.write_export("traces", request, _encoding(options))


def _resource(options: dict) -> dict:
    return {"attributes": {"service.name": str(options.get("service_name") or SERVICE)}}


def _encoding(options: dict) -> str:
    encoding = str(options.get("encoding") or "protobuf").lower()
    if encoding not in ("protobuf", "json"):
        raise BadRequest(f"options.encoding {encoding!r}: OTLP/HTTP is protobuf or json")
    return encoding


def _flat_attributes(item: dict) -> dict:
    """The mapping writes `attributes.gen_ai.evaluation.name` (nested by the dots): OTel's
    attribute names are the dotted paths."""
    out = dict(item)
    out["attributes"] = _flatten(item.get("attributes") or {})
    return out


def _flatten(nested: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in nested.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# --- rule functions ------------------------------------------------------------------------
def iso_time(value: Any, src: dict) -> Any:
    """Nanoseconds since the epoch (OTLP's times) -> ISO 8601 UTC to the microsecond; 0 is unknown."""
    if value is MISSING or value is None or isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return MISSING
    seconds, nanos = divmod(value, 1_000_000_000)
    when = datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def nanos(value: Any, src: dict) -> Any:
    """ISO 8601 (naive is UTC) -> nanoseconds since the epoch, exact to the microsecond."""
    when = core.utc_datetime(value)
    if when is None:
        return MISSING
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


_HEX = re.compile(r"[0-9a-f]+")


def span_in_trace(value: Any, src: dict) -> Any:
    """A span id, or where a record has none, its trace's: a trace object of another vendor
    (Opik's) is an OTel root span, whose span id is the last 16 hex digits of its OTel trace id.
    A span's id stays a Ref (its rule's `id: span` translates it); a trace's is made here."""
    rec = src.get("rec")
    if isinstance(value, Ref) and rec is not None and value == getattr(rec, "trace_id", None):
        return src["ctx"]["translate"](value, "trace")[-16:]
    return value


def trace_id(ref: Any, kind: str, ctx: dict) -> str:
    """A trace id in OTel's space: 32 hex. Kept when it is one; a UUID's 32 hex digits as they
    are (Opik's trace ids); anything else a keyed hash of it (proxy/ids.py)."""
    return _hex_id(ref, 32, ctx)


def span_id(ref: Any, kind: str, ctx: dict) -> str:
    """A span id in OTel's space: 16 hex, kept when it is one, else a keyed hash of it."""
    return _hex_id(ref, 16, ctx)


def _hex_id(ref: Any, size: int, ctx: dict) -> str:
    value = ref.value.lower()
    if len(value) == size and _HEX.fullmatch(value) and value.strip("0"):
        return value
    bare = value.replace("-", "")
    if size == 32 and len(bare) == 32 and _HEX.fullmatch(bare) and bare.strip("0"):
        return bare
    return ids.derived_hex(ctx["secret"], f"{ref.vendor}:{ref.value}", size)
