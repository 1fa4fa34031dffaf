"""Reading the captured exports (protobuf and JSON) into plain OTLP JSON, and the pitfalls of
otel-genai.md §4 and §7: two carriers, no timestamp, score.value not always a double, zero ids."""

import json

import pytest

from proxy import otlp, vendors
from proxy.errors import BadRequest, UnsupportedMediaType
from tests.conftest import sample_wire

OTEL = vendors.get("otel").fixtures


def pb(name: str, signal: str) -> dict:
    raw, ctype = sample_wire("otel", f"{name}.json")
    assert ctype == "application/x-protobuf"
    return otlp.read_export(signal, raw, ctype)


def js(name: str, signal: str) -> dict:
    raw, ctype = sample_wire("otel", f"{name}.json")
    assert ctype == "application/json"
    return otlp.read_export(signal, raw, "application/json; charset=utf-8")


@pytest.mark.parametrize(
    "name, signal",
    [
        ("openlit_log_score__logs.4", "logs"),
        ("openlit_log_score__traces", "traces"),
        ("splunk_util_genai_eval__logs", "logs"),
        ("splunk_util_genai_eval__traces", "traces"),
    ],
)
def test_protobuf_reads_as_the_captures_decoded_rendering(name, signal):
    """fixtures/decoded/ holds each capture decoded by the capture's own tool (hex ids, integer enums)."""
    ours = pb(name, signal)
    theirs = otlp.read_export(signal, (OTEL / "decoded" / f"{name}.json").read_bytes(), "application/json")
    assert ours == theirs


def test_openlit_log_record_without_time_has_its_observed_time_and_span_context():
    rec = otlp.log_records(pb("openlit_log_score__logs.4", "logs"))[0]
    assert "timeUnixNano" not in rec and rec["observedTimeUnixNano"] == 1796563871751954966
    assert rec["traceId"] == "0d7974a99c9c1ea573f680375cc6cabc" and rec["spanId"] == "4af2c03cd9c6abf3"
    assert rec["eventName"] == "gen_ai.evaluation.result" and rec["body"] == ""
    assert rec["attributes"]["gen_ai.evaluation.score.value"] == 0.2 and rec["scope"]["name"] == "openlit.score"
    assert rec["resource"]["service.name"] == "eval-capture"


def test_js_score_value_is_an_int_python_a_double():
    js_event = otlp.span_events(js("js_otlp_json__traces", "traces"))[0]
    assert js_event["attributes"]["gen_ai.evaluation.score.value"] == 4 and isinstance(
        js_event["attributes"]["gen_ai.evaluation.score.value"], int
    )
    py_event = otlp.span_events(js("py_otlp_json__traces", "traces"))[0]
    assert isinstance(py_event["attributes"]["gen_ai.evaluation.score.value"], float)


def test_span_events_carry_their_spans_context():
    events = otlp.span_events(js("js_otlp_json__traces", "traces"))
    assert [e["attributes"]["gen_ai.evaluation.name"] for e in events] == ["Relevance", "IntentResolution"]
    assert {(e["traceId"], e["spanId"], e["spanName"]) for e in events} == {
        ("fff5fdfd76f7dc2a4b39478468ffe4aa", "9d0f26da9c6b6d23", "chat gpt-4o")
    }


def test_splunk_body_is_a_kvlist_and_its_records_have_no_time():
    recs = otlp.log_records(pb("splunk_util_genai_eval__logs", "logs"))
    assert recs and all("timeUnixNano" not in r for r in recs)
    assert isinstance(recs[0]["body"], dict)


def test_a_zero_id_is_no_id():
    body = json.dumps(
        {
            "resourceLogs": [
                {"scopeLogs": [{"logRecords": [{"traceId": "0" * 32, "spanId": "0" * 16, "eventName": "e"}]}]}
            ]
        }
    ).encode()
    rec = otlp.log_records(otlp.read_export("logs", body, "application/json"))[0]
    assert "traceId" not in rec and "spanId" not in rec


def test_malformed_protobuf_is_a_bad_request():
    with pytest.raises(BadRequest, match="protobuf"):
        otlp.read_export("traces", b"\x0a\xff\xff\xff\xff\x0f garbage", "application/x-protobuf")


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/protobuf+x", "multipart/form-data"])
def test_another_content_type_is_unsupported(ctype):
    with pytest.raises(UnsupportedMediaType):
        otlp.read_export("logs", b"{}", ctype)


def test_export_response_and_status_in_the_requests_encoding():
    from google.rpc.status_pb2 import Status
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

    assert otlp.export_response("logs", "protobuf") == (b"", "application/x-protobuf")
    assert otlp.export_response("traces", "json") == (b"{}", "application/json")
    body, _ = otlp.export_response("logs", "protobuf", 2, "2 records name no span")
    got = ExportLogsServiceResponse.FromString(body).partial_success
    assert got.rejected_log_records == 2 and got.error_message == "2 records name no span"
    assert json.loads(otlp.export_response("traces", "json", 1, "x")[0]) == {
        "partialSuccess": {"rejectedSpans": "1", "errorMessage": "x"}
    }
    status = Status.FromString(otlp.rpc_status(400, "bad", "protobuf")[0])
    assert (status.code, status.message) == (3, "bad")
    assert json.loads(otlp.rpc_status(415, "no", "json")[0]) == {"code": 3, "message": "no"}
