"""`where:` on a list reply (proxy/mapping/where.py): the items kept are those whose wire key
equals what the rule reads from the request's own record; compiled when the mapping loads."""

import textwrap

import pytest

from proxy.errors import ConfigError
from proxy.mapping import WireRequest, load_vendor
from proxy.model import Assessment, Ref

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
        label: {from: query.kind}
    respond:
      status: 200
      each: items
      list_body: {object: list}
      body:
        id: {from: id}
        kind: {from: label}
        trace: {from: trace_id, id: trace}
        meta.name: {from: name}
      where:
"""
A, B = Ref("acme", "t-a"), Ref("acme", "t-b")
HELD = [
    Assessment(op="upsert", id="r1", trace_id=A, label="good", name="x"),
    Assessment(op="upsert", id="r2", trace_id=A, label="bad", name="y"),
    Assessment(op="upsert", id="r3", trace_id=B, label="good", name="x"),
]
CTX = {"translate": lambda ref, kind: f"{kind}:{ref.value}"}


def mapping(tmp_path, where: str):
    path = tmp_path / "acme.yaml"
    path.write_text(ACME + textwrap.indent(textwrap.dedent(where), " " * 8))
    return load_vendor(path)


def listed(m, asked: Assessment | None, held=HELD) -> list[str]:
    reply = m.respond(m.endpoints["list"], held, CTX, asked=asked)
    assert reply.status == 200 and reply.body["object"] == "list"
    return [item["id"] for item in reply.body["items"]]


def test_an_item_is_kept_when_its_key_equals_what_was_asked(tmp_path):
    m = mapping(tmp_path, "kind: {from: label}\n")
    assert listed(m, Assessment(op="list", label="good")) == ["r1", "r3"]
    assert listed(m, Assessment(op="list", label="bad")) == ["r2"]
    assert listed(m, Assessment(op="list", label="none-such")) == []


def test_a_rule_that_gives_nothing_filters_nothing(tmp_path):
    m = mapping(tmp_path, "kind: {from: label}\n")
    assert listed(m, Assessment(op="list")) == ["r1", "r2", "r3"]


def test_every_key_must_hold(tmp_path):
    m = mapping(tmp_path, "kind: {from: label}\ntrace: {from: trace_id, id: trace}\n")
    assert listed(m, Assessment(op="list", label="good", trace_id=A)) == ["r1"]
    assert listed(m, Assessment(op="list", trace_id=B)) == ["r3"]
    assert listed(m, Assessment(op="list", label="bad", trace_id=B)) == []


def test_an_id_is_translated_as_the_items_own_was(tmp_path):
    """The item's `trace` went through ctx.translate; so does the asked one, with `id:`."""
    m = mapping(tmp_path, "trace: {from: trace_id, id: trace}\n")
    assert listed(m, Assessment(op="list", trace_id=A)) == ["r1", "r2"]
    untranslated = mapping(tmp_path, "trace: {from: trace_id}\n")  # "t-a" is not "trace:t-a": nothing matches
    assert listed(untranslated, Assessment(op="list", trace_id=A)) == []


def test_a_dotted_key_reads_into_the_item(tmp_path):
    m = mapping(tmp_path, "meta.name: {from: name}\n")
    assert listed(m, Assessment(op="list", name="x")) == ["r1", "r3"]


def test_a_key_can_be_a_constant_or_read_the_context(tmp_path):
    m = mapping(tmp_path, "kind: {from: ctx.wanted}\nmeta.name: {const: y}\n")
    reply = m.respond(m.endpoints["list"], HELD, {**CTX, "wanted": "bad"}, asked=Assessment(op="list"))
    assert [i["id"] for i in reply.body["items"]] == ["r2"]


def test_without_a_request_record_nothing_is_filtered(tmp_path):
    m = mapping(tmp_path, "kind: {from: label}\n")
    assert listed(m, None) == ["r1", "r2", "r3"]


def test_compiled_when_the_mapping_loads(tmp_path):
    m = mapping(tmp_path, "kind: {from: label}\n")
    assert callable(m.endpoints["list"].where)
    assert mapping(tmp_path, "{}\n").endpoints["list"].where is None  # `where: {}`: nothing to filter
    with pytest.raises(ConfigError, match=r"not a field path: 'item\.bad\.\.key'"):
        mapping(tmp_path, "bad..key: {from: label}\n")


def test_where_needs_a_list(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(ACME.replace("      each: items\n", "") + "        kind: {from: label}\n")
    with pytest.raises(ConfigError) as info:
        load_vendor(path)
    assert (
        "endpoints::list::respond: Value error, where: filters the items of a list: it needs each" in info.value.message
    )


def test_where_rules_are_rules(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"acme\.yaml:23:16: endpoints::list::respond::where::kind::frm: Extra inputs are not permitted",
    ):
        mapping(tmp_path, "kind: {frm: label}\n")


# --- the Scale list, as proxy/vendors/scale/mapping.yaml declares it---------------------------


def S(value: str) -> Ref:
    return Ref("scale", value)


SCALE_HELD = [
    Assessment(op="comment", id="c", trace_id=S("t1"), span_id=S("s1"), name="comment", comment="free text"),
    Assessment(op="upsert", id="r", trace_id=S("t1"), span_id=S("s1"), name="rating", value=4, scale=[1, 5]),
    Assessment(
        op="upsert", id="a", trace_id=S("t1"), span_id=S("s2"), name="approval", value=1, scale=[0, 1], label="approved"
    ),
    Assessment(op="upsert", id="u", trace_id=S("t1"), span_id=S("s1"), name="rubric", rubric={"accuracy": "pass"}),
    Assessment(op="upsert", id="m", trace_id=S("t1"), span_id=S("s1"), name="accuracy", value=0.9, metadata={"k": "v"}),
    Assessment(
        op="upsert", id="o", trace_id=S("t1"), span_id=S("s1"), name="overwrite", correction={"output": "fixed"}
    ),
    Assessment(
        op="upsert", id="x", trace_id=S("s1"), span_id=S("s9"), name="rating", value=2, scale=[1, 5]
    ),  # a trace named like a span
]


def scale_list(query: dict) -> list[tuple[str, str]]:
    scale = MAPPINGS["scale"]
    endpoint, _, _ = scale.match("GET", "/v5/span-assessments")
    [asked] = endpoint.decode(WireRequest("GET", {}, query, {}, None), {"request_id": "r1"})
    reply = scale.respond(
        endpoint,
        SCALE_HELD,
        {"now_iso": "2026-01-01T00:00:00.000Z", "translate": lambda ref, kind: ref.value},
        asked=asked,
    )
    return [(i["assessment_id"], i["assessment_type"]) for i in reply.body["items"]]


@pytest.mark.parametrize(
    "kind, ids",
    [
        ("comment", ["c"]),
        ("rating", ["r"]),
        ("approval", ["a"]),
        ("rubric", ["u"]),
        ("metadata", ["m"]),
        ("overwrite", ["o"]),
    ],
)
def test_scale_keeps_the_assessment_type_asked_for(kind, ids):
    assert scale_list({"trace_id": "t1", "assessment_type": kind}) == [(i, kind) for i in ids]


def test_scale_keeps_the_trace_and_the_span_asked_for():
    assert [i for i, _ in scale_list({"trace_id": "t1"})] == ["c", "r", "a", "u", "m", "o"]
    assert scale_list({"trace_id": "s1"}) == [("x", "rating")]
    assert scale_list({"span_id": "s2"}) == [("a", "approval")]
    assert scale_list({"span_id": "s1", "assessment_type": "rating"}) == [("r", "rating")]
    assert scale_list({"trace_id": "t1", "span_id": "s2"}) == [("a", "approval")]
