"""The OTLP JSON mapping, rule by rule (opentelemetry-proto docs/specification.md), and the
pitfalls of reading it with protobuf's own proto3 JSON parser."""

import json

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from proxy import otlp
from proxy.errors import BadRequest
from tests.conftest import sample

TRACE = "5B8EFFF798038103D269B633813FC60C"
SPAN = "EEE19B7EC3C1B174"


def export(span: dict, **extra) -> bytes:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}], **extra}).encode()


def read(body: bytes, signal="traces") -> dict:
    return otlp.read_export(signal, body, "application/json")


def test_ids_are_hex_not_base64_and_case_insensitive():
    got = otlp.spans(read(export({"traceId": TRACE, "spanId": SPAN, "parentSpanId": SPAN.lower(), "name": "x"})))[0]
    assert got["traceId"] == TRACE.lower() and got["spanId"] == SPAN.lower() and got["parentSpanId"] == SPAN.lower()


def test_protobufs_own_parser_reads_a_hex_id_as_base64_without_an_error():
    """The pitfall the hand-written rule is for: ParseDict takes the captured JS trace id into 24 garbage bytes."""
    js = sample("otel", "js_otlp_json__traces.json")["body"]
    message = json_format.ParseDict(js, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    wrong = message.resource_spans[0].scope_spans[0].spans[0].trace_id
    assert len(wrong) == 24 and wrong.hex() != "fff5fdfd76f7dc2a4b39478468ffe4aa"
    right = otlp.spans(read(json.dumps(js).encode()))[0]["traceId"]
    assert right == "fff5fdfd76f7dc2a4b39478468ffe4aa"


@pytest.mark.parametrize("bad", ["not-hex-at-all!", "W46P95gDgQPSabYzgT/GDA==", "abc", "00ff"])
def test_an_id_that_is_not_16_bytes_of_hex_is_a_bad_request(bad):
    with pytest.raises(BadRequest, match="traceId"):
        read(export({"traceId": bad, "spanId": SPAN, "name": "x"}))


def test_keys_are_lower_camel_case_and_written_so():
    body, ctype = otlp.write_export(
        "traces",
        {
            "resourceSpans": [
                {
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": TRACE.lower(),
                                    "spanId": SPAN.lower(),
                                    "name": "x",
                                    "droppedAttributesCount": 2,
                                }
                            ]
                        }
                    ]
                }
            ]
        },
        "json",
    )
    span = json.loads(body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert (
        ctype == "application/json" and span["droppedAttributesCount"] == 2 and "dropped_attributes_count" not in span
    )


def test_enums_are_integers_read_and_written():
    got = otlp.spans(read(export({"traceId": TRACE, "spanId": SPAN, "name": "x", "kind": 2, "status": {"code": 2}})))[0]
    assert got["kind"] == 2 and got["status"]["code"] == 2
    body, _ = otlp.write_export("traces", {"resourceSpans": [{"scopeSpans": [{"spans": [got]}]}]}, "json")
    assert json.loads(body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["kind"] == 2


@pytest.mark.parametrize("nanos", ["1796563902705000000", 1796563902705000000])
def test_int64_is_read_from_a_string_or_a_number_and_written_as_a_string(nanos):
    got = otlp.spans(
        read(
            export(
                {
                    "traceId": TRACE,
                    "spanId": SPAN,
                    "name": "x",
                    "startTimeUnixNano": nanos,
                    "attributes": [{"key": "n", "value": {"intValue": nanos}}],
                }
            )
        )
    )[0]
    assert got["startTimeUnixNano"] == 1796563902705000000 and got["attributes"]["n"] == 1796563902705000000
    body, _ = otlp.write_export("traces", {"resourceSpans": [{"scopeSpans": [{"spans": [got]}]}]}, "json")
    span = json.loads(body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["startTimeUnixNano"] == "1796563902705000000"
    assert span["attributes"] == [{"key": "n", "value": {"intValue": "1796563902705000000"}}]


def test_unknown_fields_are_ignored():
    got = otlp.spans(read(export({"traceId": TRACE, "spanId": SPAN, "name": "x", "futureField": {"a": 1}}, future=[1])))
    assert got[0]["name"] == "x" and "futureField" not in got[0]


def test_attribute_values_are_unwrapped_every_kind():
    values = [
        {"key": "s", "value": {"stringValue": "t"}},
        {"key": "b", "value": {"boolValue": True}},
        {"key": "i", "value": {"intValue": "7"}},
        {"key": "d", "value": {"doubleValue": 0.5}},
        {"key": "a", "value": {"arrayValue": {"values": [{"intValue": 1}, {"stringValue": "x"}]}}},
        {"key": "k", "value": {"kvlistValue": {"values": [{"key": "in", "value": {"boolValue": False}}]}}},
        {"key": "y", "value": {"bytesValue": "AAE="}},
        {"key": "e", "value": {}},
        {"key": "nan", "value": {"doubleValue": "NaN"}},
    ]
    got = otlp.spans(read(export({"traceId": TRACE, "spanId": SPAN, "name": "x", "attributes": values})))[0][
        "attributes"
    ]
    assert got["s"] == "t" and got["b"] is True and got["i"] == 7 and got["d"] == 0.5
    assert got["a"] == [1, "x"] and got["k"] == {"in": False} and got["y"] == "AAE=" and got["e"] is None
    assert got["nan"] != got["nan"]  # NaN


def test_attributes_round_trip_through_protobuf_and_json():
    attrs = {"s": "t", "b": True, "i": 7, "d": 0.5, "a": [1, "x"], "k": {"in": False}}
    request = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "traceId": TRACE.lower(),
                                "spanId": SPAN.lower(),
                                "timeUnixNano": 5,
                                "attributes": attrs,
                                "body": "",
                            }
                        ]
                    }
                ]
            }
        ]
    }
    for encoding in ("protobuf", "json"):
        body, ctype = otlp.write_export("logs", request, encoding)
        got = otlp.log_records(otlp.read_export("logs", body, ctype))[0]
        assert got["attributes"] == attrs and got["timeUnixNano"] == 5 and got["traceId"] == TRACE.lower()


def test_a_body_that_is_not_an_object_or_not_json_is_a_bad_request():
    for body in (b"[1, 2]", b'"x"', b"{not json"):
        with pytest.raises(BadRequest):
            read(body)
    with pytest.raises(BadRequest):
        read(json.dumps({"resourceSpans": {"not": "a list"}}).encode())


def test_an_empty_body_is_an_empty_request():
    assert (
        otlp.spans(read(b"")) == [] and otlp.log_records(otlp.read_export("logs", b"", "application/x-protobuf")) == []
    )
