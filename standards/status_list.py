"""W3C Bitstring Status List v1.0: the bitstring and its ``encodedList`` form (pure).

The list is a bitstring of at least 131,072 entries (16 KiB: herd privacy,
a verifier learns nothing from which part of a list it fetched); index 0 is
the left-most bit of the first byte. ``encodedList`` is the GZIP-compressed
bitstring, base64url without padding, with the multibase prefix ``u``.
Decoding refuses anything that inflates beyond the limit (a gzip bomb is a
few kilobytes that inflate to gigabytes).
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable

MIN_ENTRIES = 131_072
MULTIBASE_BASE64URL = "u"
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # 134 million entries


class StatusListError(ValueError):
    pass


def bitstring(indexes: Iterable[int], *, size: int) -> bytes:
    """A bitstring of ``size`` entries with the bits at ``indexes`` set."""
    if size < MIN_ENTRIES or size % 8:
        raise StatusListError(f"a status list has a multiple of 8 and at least {MIN_ENTRIES} bits")
    bits = bytearray(size // 8)
    for index in indexes:
        if not 0 <= index < size:
            raise StatusListError(f"index {index} is outside the list")
        bits[index >> 3] |= 0x80 >> (index & 7)
    return bytes(bits)


def encode(bits: bytes) -> str:
    """``encodedList``: gzip (fixed mtime, so equal lists encode equally), base64url, ``u``."""
    compressed = gzip.compress(bits, compresslevel=9, mtime=0)
    return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def encode_indexes(indexes: Iterable[int], *, size: int) -> str:
    return encode(bitstring(indexes, size=size))


def decode(encoded: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bitstring behind ``encodedList``; refuses bad prefixes, base64 and oversized lists."""
    if not isinstance(encoded, str) or not encoded.startswith(MULTIBASE_BASE64URL):
        raise StatusListError("encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    if not body or any(c not in _BASE64URL for c in body):
        raise StatusListError("encodedList is not base64url")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as error:
        raise StatusListError("encodedList is not base64url") from error
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    try:
        bits = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as error:
        raise StatusListError("encodedList is not GZIP data") from error
    if len(bits) > max_bytes or inflater.unconsumed_tail:
        raise StatusListError("the status list is larger than allowed")
    if not inflater.eof:
        raise StatusListError("the GZIP data is truncated")
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list of {len(bits) * 8} entries")
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def gzip_size(encoded: str) -> int:
    """Bytes of the compressed list (for reports)."""
    body = encoded[1:]
    return len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
