"""Id rules: UUIDv7 construction, stable derived ids, and each vendor's native-id rule."""

import hashlib
import hmac
import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from proxy import ids
from proxy.idspace import IdSpace
from proxy.model import Ref
from proxy.store import MemoryStore
from proxy.vendors.opik import codec as opik
from proxy.vendors.scale import codec as scale
from proxy.vendors.tracia import codec as tracia

from .support import MAPPINGS

CTX = {"secret": "s3cret", "now_ms": 1767225600000}
V7 = "01a20c41-cda1-7a06-b0a1-c98960495513"


def test_uuid7_has_version_7_and_the_rfc_variant():
    u = uuid.UUID(ids.uuid7(1767225600000, bytes(range(10))))
    assert (u.version, u.variant) == (7, uuid.RFC_4122)


def test_uuid7_time_part_is_the_given_ms():
    text = ids.uuid7(1767225600123)
    assert ids.uuid7_ms(text) == 1767225600123
    assert text[:13] == f"{1767225600123:012x}"[:8] + "-" + f"{1767225600123:012x}"[8:]


def test_uuid7_random_part_comes_from_the_given_bytes():
    assert ids.uuid7(0, b"\x00" * 10) == "00000000-0000-7000-8000-000000000000"
    assert ids.uuid7(0, b"\xff" * 10) == "00000000-0000-7fff-bfff-ffffffffffff"


def test_uuid7_without_arguments_is_now_and_random():
    a, b = ids.uuid7(), ids.uuid7()
    assert a != b and ids.is_uuid7(a) and ids.is_uuid7(b)


def test_is_uuid7():
    assert ids.is_uuid7(V7)
    assert ids.is_uuid7(V7.upper())
    assert not ids.is_uuid7(str(uuid.uuid4()))
    assert not ids.is_uuid7("01a20c41-cda1-7a06-c0a1-c98960495513")  # variant bits
    assert not ids.is_uuid7("01a20c41cda17a06b0a1c98960495513")
    assert not ids.is_uuid7("sp_0123456789abcdef")


def test_derived_uuid7_is_stable_for_a_key_and_differs_between_keys():
    a = ids.derived_uuid7("s3cret", "tracia:sp_1", 1767225600000)
    assert a == ids.derived_uuid7("s3cret", "tracia:sp_1", 1767225600000)
    assert a != ids.derived_uuid7("s3cret", "tracia:sp_2", 1767225600000)
    assert a != ids.derived_uuid7("other", "tracia:sp_1", 1767225600000)
    assert ids.is_uuid7(a) and ids.uuid7_ms(a) == 1767225600000


def test_derived_uuid7_random_part_does_not_depend_on_time():
    a = ids.derived_uuid7("s3cret", "scale:span-1", 1)
    b = ids.derived_uuid7("s3cret", "scale:span-1", 2)
    assert a[14:] == b[14:] and a[:13] != b[:13]


def test_derived_hex_length_and_stability():
    assert len(ids.derived_hex("s", "k")) == 16
    assert len(ids.derived_hex("s", "k", 32)) == 32
    assert ids.derived_hex("s", "k") == ids.derived_hex("s", "k")
    assert ids.derived_hex("s", "k") != ids.derived_hex("s", "k2")


# --- each vendor's rule ---------------------------------------------------------------


@given(st.text(max_size=90), st.text(max_size=300), st.integers(1, 32))
@example("k" * 65, "tracia:sp_1", 16)
@example("k" * 64, "", 32)
def test_digest_is_hmac_sha256_of_the_key_under_the_secret(secret, key, size):
    """Every derived id rests on it: a secret longer than SHA-256's block is hashed first, as RFC 2104 says."""
    want = hmac.new(secret.encode(), key.encode(), hashlib.sha256).digest()[:size]
    assert ids.digest(secret, key, size) == want
    assert ids.digest(secret, key, size) == want  # the keyed states are copied, not used up


def test_opik_keeps_a_v7_id_lower_cased():
    assert opik.uuid7_id(Ref("scale", V7), "trace", CTX) == V7
    assert opik.uuid7_id(Ref("scale", V7.upper()), "trace", CTX) == V7


def test_opik_derives_a_v7_id_with_the_event_time_for_others():
    got = opik.uuid7_id(Ref("tracia", "sp_0123456789abcdef"), "span", CTX)
    assert got == ids.derived_uuid7("s3cret", "tracia:sp_0123456789abcdef", CTX["now_ms"])
    assert ids.uuid7_ms(got) == CTX["now_ms"]
    assert opik.uuid7_id(Ref("scale", str(uuid.UUID(int=5, version=4))), "span", CTX) != str(
        uuid.UUID(int=5, version=4)
    )


@pytest.mark.parametrize("value", ["sp_0123456789abcdef", "tr_0123456789abcdef"])
def test_tracia_keeps_its_own_span_id_shapes(value):
    assert tracia.span_id(Ref("opik", value), "span", CTX) == value
    assert tracia.trace_id(Ref("opik", value), "trace", CTX) == value


def test_tracia_derives_sp_and_tr_ids_for_others():
    assert tracia.span_id(Ref("opik", V7), "span", CTX) == "sp_" + ids.derived_hex("s3cret", f"opik:{V7}")
    assert tracia.trace_id(Ref("opik", V7), "trace", CTX) == "tr_" + ids.derived_hex("s3cret", f"opik:{V7}")
    assert tracia.span_id(Ref("scale", "sp_0123456789ABCDEF"), "span", CTX).startswith(
        "sp_"
    )  # upper hex is not Tracia's
    assert tracia.span_id(Ref("scale", "sp_0123456789ABCDEF"), "span", CTX) != "sp_0123456789ABCDEF"


def test_tracia_evaluation_id():
    assert tracia.evaluation_id("01a20c41-cda1-7a06-b0a1-c98960495513", {}) == "eval_b0a1c98960495513"


def test_scale_keeps_ids_up_to_256_characters():
    assert scale.free_id(Ref("tracia", "sp_abc/special id"), "span", CTX) == "sp_abc/special id"
    assert scale.free_id(Ref("opik", "x" * 256), "span", CTX) == "x" * 256


def test_scale_derives_a_32_hex_id_for_longer_ones():
    got = scale.free_id(Ref("opik", "x" * 257), "span", CTX)
    assert got == ids.derived_hex("s3cret", "opik:" + "x" * 257, 32) and len(got) == 32


# --- the registry around them -----------------------------------------------------------


def test_id_space_makes_an_id_once_and_remembers_it():
    store = MemoryStore()
    space = IdSpace(MAPPINGS["tracia"], store, "s3cret")
    first = space.translate(Ref("opik", V7), "span")
    assert first == "sp_" + ids.derived_hex("s3cret", f"opik:{V7}")
    assert store.id_for("opik", V7, "tracia") == first
    assert space.translate(Ref("opik", V7), "span") == first


def test_id_space_gives_native_ids_back_as_they_are():
    store = MemoryStore()
    assert IdSpace(MAPPINGS["opik"], store, "s").translate(Ref("opik", "anything"), "trace") == "anything"
    assert store.id_for("opik", "anything", "opik") is None


def test_id_space_translates_a_derived_id_back_to_its_origin():
    store = MemoryStore()
    sp = IdSpace(MAPPINGS["tracia"], store, "s").translate(Ref("scale", "span-1"), "span")
    assert IdSpace(MAPPINGS["scale"], store, "s").translate(Ref("tracia", sp), "span") == "span-1"


def test_id_space_records_an_id_kept_as_it_is_as_the_same_entity_s_alias():
    """An Opik id written to Scale as it is names, at Scale, the Opik entity: a Scale client's id
    reaches Opik as that id and Tracia under the id Tracia has the Opik entity by."""
    store = MemoryStore()
    assert IdSpace(MAPPINGS["scale"], store, "s").translate(Ref("opik", V7), "trace") == V7
    assert store.id_for("opik", V7, "scale") == V7 and store.origin_of("scale", V7) == ("opik", V7)
    tracia = IdSpace(MAPPINGS["tracia"], store, "s")
    assert tracia.translate(Ref("scale", V7), "trace") == tracia.translate(Ref("opik", V7), "trace")


def test_record_ids_are_distinct_v7_ids_carrying_the_request_time():
    make = ids.record_ids("secret", "req-1", 1767225600123)
    made = [make(i) for i in range(5000)]
    assert len(set(made)) == 5000
    assert all(ids.is_uuid7(m) and ids.uuid7_ms(m) == 1767225600123 for m in made)
    assert made == [ids.record_ids("secret", "req-1", 1767225600123)(i) for i in range(5000)]  # stable for a request
    assert ids.record_ids("secret", "req-2", 1767225600123)(0) != made[0]
    assert ids.record_ids("other", "req-1", 1767225600123)(0) != made[0]


def test_record_ids_are_the_request_hash_with_the_index_folded_into_its_low_bits():
    """The short path (the last three hex digits, below index 4096) and the general one
    write the same number: the keyed hash's 74 bits with the index xor-ed into the lowest."""
    for key in ("req-1", "a-much-longer-request-id-of-forty-characters"):
        base = int.from_bytes(ids.digest("secret", key, 10), "big")
        make = ids.record_ids("secret", key, 1767225600123)
        for i in (0, 1, 7, 4095, 4096, 4097, 65535, 10**6):
            n = (
                1767225600123 << 80
                | 0x7 << 76
                | ((base >> 68) & 0xFFF) << 64
                | 0b10 << 62
                | ((base & ((1 << 62) - 1)) ^ i)
            )
            assert make(i) == str(uuid.UUID(int=n)), i


def test_uuid7_text_is_the_uuid_module_s():
    for n in (0, 1, (1 << 128) - 1, 0x0123456789ABCDEF0123456789ABCDEF):
        assert ids._text(n) == str(uuid.UUID(int=n))


def test_an_id_derived_from_a_third_vendor_s_reaches_another_under_the_id_it_has():
    """A Tracia span mirrored to Opik (a derived UUID) and to Scale (Tracia's id, as Scale takes
    it): an Opik client's score about that Opik UUID reaches Scale about Tracia's span."""
    store = MemoryStore()
    opik_id = IdSpace(MAPPINGS["opik"], store, "s").translate(Ref("tracia", "sp_0123456789abcdef"), "span")
    scale = IdSpace(MAPPINGS["scale"], store, "s")
    assert scale.translate(Ref("tracia", "sp_0123456789abcdef"), "span") == "sp_0123456789abcdef"
    assert scale.translate(Ref("opik", opik_id), "span") == "sp_0123456789abcdef"
    assert (
        IdSpace(MAPPINGS["tracia"], store, "s").translate(Ref("opik", opik_id), "span") == "sp_0123456789abcdef"
    )  # its own, back
    assert scale.translate(Ref("opik", V7), "span") == V7  # an Opik id of Opik's own is Scale's as it is
