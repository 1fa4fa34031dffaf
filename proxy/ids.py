"""Id rules: UUIDv7 construction and stable derivation of one vendor's id from another's.

A foreign id becomes a native one by a keyed hash of "vendor:id" (the key is
the config's `id_secret`), so the same foreign id maps to the same native id
on every instance that shares the config. The registry (`proxy.store`)
remembers each pair so reverse look-ups work and the time part of a v7 UUID,
fixed at first sight, never changes.
"""

from __future__ import annotations

import hashlib
import os
import re
import time

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def uuid7(ms: int | None = None, rand: bytes | None = None) -> str:
    """A version 7 UUID: 48 bits of Unix milliseconds, then version, variant and 74 random bits."""
    ms = int(time.time() * 1000) if ms is None else ms
    rand = rand if rand is not None else os.urandom(10)
    n = (ms & ((1 << 48) - 1)) << 80
    n |= 0x7 << 76
    r = int.from_bytes(rand[:10], "big")
    n |= ((r >> 68) & 0xFFF) << 64  # rand_a: 12 bits
    n |= 0b10 << 62
    n |= r & ((1 << 62) - 1)  # rand_b: 62 bits
    return _text(n)


def _text(n: int) -> str:
    """The 8-4-4-4-12 form of a 128-bit number (as str(uuid.UUID(int=n)), a third of the time)."""
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_uuid7(text: str) -> bool:
    return bool(_UUID.match(text)) and text[14] == "7" and text[19].lower() in "89ab"


def uuid7_ms(text: str) -> int:
    return int(text.replace("-", "")[:12], 16)


def digest(secret: str, key: str, size: int = 16) -> bytes:
    """HMAC-SHA256 (RFC 2104) of `key` under `secret`, its first `size` bytes. The two keyed SHA-256
    states are made once per secret and copied per call: 13k instructions a digest, against 19k
    for hmac.new's object copied (bench/RESULTS.md, issue 20)."""
    pads = _PADS.get(secret)
    if pads is None:
        pads = _PADS[secret] = _keyed_pads(secret.encode())
    inner, outer = pads[0].copy(), pads[1].copy()
    inner.update(key.encode())
    outer.update(inner.digest())
    return outer.digest()[:size]


def _keyed_pads(secret: bytes) -> tuple:
    """SHA-256 after the key xor ipad, and after the key xor opad (RFC 2104, section 2)."""
    if len(secret) > 64:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in secret)), hashlib.sha256(bytes(b ^ 0x5C for b in secret))


_PADS: dict[str, tuple] = {}  # secret -> its two keyed SHA-256 states, nothing hashed yet (a config has one)


def derived_uuid7(secret: str, key: str, ms: int) -> str:
    """A v7 UUID whose time part is `ms` and whose random part depends only on `key`."""
    return uuid7(ms, digest(secret, key, 10))


def record_ids(secret: str, key: str, ms: int):
    """`index -> id` for the records of one request: v7 UUIDs with time part `ms`, whose random
    part is one keyed hash of `key` (the request id) with the index folded into its low bits.
    One hash per request, not per record, and the first 64 bits written once: ids for a
    1,000-score batch cost ~0.3 ms, not ~10 (bench/RESULTS.md)."""
    base = int.from_bytes(digest(secret, key, 10), "big")
    head = _text(((ms & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (((base >> 68) & 0xFFF) << 64))[
        :19
    ]  # "tttttttt-tttt-7aaa-"
    low = base & ((1 << 62) - 1)
    variant = 0b10 << 62

    def make(index: int) -> str:
        if index < 4096:  # the index changes only the last three hex digits
            return stem + _HEX3[last ^ index]
        h = f"{variant | (low ^ index):016x}"
        return f"{head}{h[:4]}-{h[4:]}"

    h = f"{variant | low:016x}"
    stem, last = f"{head}{h[:4]}-{h[4:13]}", low & 0xFFF  # index 0's text but its last three digits
    return make


_HEX3 = tuple(f"{i:03x}" for i in range(4096))


def derived_hex(secret: str, key: str, chars: int = 16) -> str:
    return digest(secret, key, (chars + 1) // 2).hex()[:chars]
