"""A decode check with `status:` and `message:` (proxy/mapping/refusals.py): a request that
breaks it, and no other rule, is answered with that status and message, in the vendor's
error shape; one that breaks other rules too gets their 422, unchanged."""

import textwrap

import pytest

from proxy.errors import CheckFailed, ConfigError, ValidationFailed
from proxy.mapping import WireRequest, load_vendor

from .support import MAPPINGS

ACME = """\
vendor: acme
auth: {header: x-key}
error: scale.error_body
endpoints:
  list:
    method: GET
    path: /v1/marks
    decode:
      fields:
        op: {const: list}
        trace_id: {from: query.trace}
        label: {from: query.kind, one_of: [good, bad]}
      checks:
"""
NEEDS_TRACE = "trace: {from: query.trace, required: true, status: 400, message: give a trace}\n"


def mapping(tmp_path, checks: str):
    path = tmp_path / "acme.yaml"
    path.write_text(ACME + textwrap.indent(textwrap.dedent(checks), " " * 8))
    return load_vendor(path)


def decode(m, query: dict, method: str = "GET", path: str = "/v1/marks"):
    endpoint, params, _ = m.match(method, path)
    return endpoint.decode(
        WireRequest(method, params, query, {}, None), {"request_id": "r1", "make_id": lambda i: f"rec-{i}"}
    )


def test_a_refusal_answers_with_the_declared_status_and_message(tmp_path):
    m = mapping(tmp_path, NEEDS_TRACE)
    with pytest.raises(CheckFailed) as info:
        decode(m, {"kind": "good"})
    assert (info.value.status, info.value.message) == (400, "give a trace")
    reply = m.error(info.value.status, info.value.code, info.value.message, getattr(info.value, "violations", []))
    assert (reply.status, reply.body) == (400, {"detail": "give a trace"})


def test_a_request_that_passes_is_decoded(tmp_path):
    [rec] = decode(mapping(tmp_path, NEEDS_TRACE), {"trace": "t-1", "kind": "bad"})
    assert rec.present() == {"op": "list", "entity": "span", "trace_id": rec.trace_id, "label": "bad"}
    assert rec.trace_id.value == "t-1"


def test_other_violations_come_first_and_alone(tmp_path):
    """Validated as the vendor's framework validates the parameters, before the check looks for the trace."""
    with pytest.raises(ValidationFailed) as info:
        decode(mapping(tmp_path, NEEDS_TRACE), {"kind": "ugly"})
    assert [(v.loc, v.kind) for v in info.value.violations] == [(("query", "kind"), "one_of")]


def test_a_check_without_a_status_is_a_422_as_before(tmp_path):
    with pytest.raises(ValidationFailed) as info:
        decode(mapping(tmp_path, "trace: {from: query.trace, required: true}\n"), {"kind": "ugly"})
    assert [(v.loc, v.kind) for v in info.value.violations] == [
        (("query", "kind"), "one_of"),
        (("query", "trace"), "missing"),
    ]


def test_the_first_declared_check_that_refuses_answers(tmp_path):
    m = mapping(
        tmp_path, NEEDS_TRACE + "kind: {from: query.kind, required: true, status: 404, message: no such kind}\n"
    )
    with pytest.raises(CheckFailed) as info:
        decode(m, {})
    assert (info.value.status, info.value.message) == (400, "give a trace")
    with pytest.raises(CheckFailed) as info:
        decode(m, {"trace": "t-1"})
    assert (info.value.status, info.value.message) == (404, "no such kind")


def test_a_declared_check_may_test_a_value_and_be_gated(tmp_path):
    m = mapping(
        tmp_path,
        "trace: {from: query.trace, min_length: 3, when: {query.kind: {eq: good}}, status: 409, message: too short}\n",
    )
    assert len(decode(m, {"trace": "t", "kind": "bad"})) == 1  # the gate does not hold
    with pytest.raises(CheckFailed) as info:
        decode(m, {"trace": "t", "kind": "good"})
    assert (info.value.status, info.value.message) == (409, "too short")


@pytest.mark.parametrize(
    "check, error",
    [
        (
            "trace: {from: query.trace, required: true, status: 400}\n",
            "acme.yaml:14:16: endpoints::list::decode::checks::trace: Value error, a check's status and message go "
            "together: give both, or neither",
        ),
        (
            "trace: {from: query.trace, required: true, message: give a trace}\n",
            "acme.yaml:14:16: endpoints::list::decode::checks::trace: Value error, a check's status and message go "
            "together: give both, or neither",
        ),
        (
            "trace: {from: query.trace, required: true, status: 200, message: fine}\n",
            "acme.yaml:14:60: endpoints::list::decode::checks::trace::status: Input should be greater than or equal to "
            "400",
        ),
        (
            "trace: {from: query.trace, required: true, status: 500, message: oops}\n",
            "acme.yaml:14:60: endpoints::list::decode::checks::trace::status: Input should be less than or equal to "
            "499",
        ),
    ],
)
def test_a_bad_status_or_message_is_refused_at_load(tmp_path, check, error):
    with pytest.raises(ConfigError) as info:
        mapping(tmp_path, check)
    assert info.value.message.replace(str(tmp_path / "acme.yaml"), "acme.yaml") == error


def test_a_declared_check_is_about_the_whole_request(tmp_path):
    with pytest.raises(ConfigError) as info:
        mapping(tmp_path, "one: {from: item.x, required: true, status: 400, message: each needs an x}\n")
    assert info.value.message.replace(str(tmp_path / "acme.yaml"), "acme.yaml").startswith(
        "acme.yaml: checks.one: a check with a status is about the whole request, not an element: unknown root 'item' "
        "in 'item.x'"
    )


# --- the Scale list, as proxy/vendors/scale/mapping.yaml declares it---------------------------

NEITHER = "Either span_id or trace_id must be provided as a query parameter"


@pytest.mark.parametrize("query", [{}, {"assessment_type": "rating"}])
def test_a_scale_list_naming_neither_id_is_a_400_with_scales_body(query):
    with pytest.raises(CheckFailed) as info:
        decode(MAPPINGS["scale"], query, "GET", "/v5/span-assessments")
    reply = MAPPINGS["scale"].error(info.value.status, info.value.code, info.value.message)
    assert (reply.status, reply.body) == (400, {"detail": NEITHER})


def test_a_scale_list_with_a_bad_type_is_a_422_naming_the_type_only():
    with pytest.raises(ValidationFailed) as info:
        decode(MAPPINGS["scale"], {"assessment_type": "grade"}, "GET", "/v5/span-assessments")
    assert [(v.loc, v.kind, v.input) for v in info.value.violations] == [
        (("query", "assessment_type"), "one_of", "grade")
    ]
