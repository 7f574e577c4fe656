"""Licence types, identifiers and the Bitstring Status List encoding (pure)."""

from __future__ import annotations

import base64
import gzip
import zlib
from datetime import date

import pytest

from standards import status_list
from standards.identifiers.licence_id import InvalidLicenceId, parse_licence_id
from standards.identifiers.uscc import is_valid_uscc
from standards.licence_types import (
    BY_SLUG,
    LICENCE_TYPES,
    face_data_errors,
    licence_identifier,
    releasable_fields,
)

REQUIRED_NAMES = {"居民身份证", "营业执照", "机动车驾驶证", "机动车行驶证", "结婚证",
                  "出生医学证明", "户口簿", "社会保障卡", "不动产权证书", "食品经营许可证",
                  "医师执业证书", "教师资格证", "残疾人证", "道路运输经营许可证"}  # fmt: skip


def test_the_code_list_has_the_delta_types_with_valid_codes() -> None:
    assert {t.name for t in LICENCE_TYPES} >= REQUIRED_NAMES
    assert len({t.code for t in LICENCE_TYPES}) == len(LICENCE_TYPES) >= 14
    for licence_type in LICENCE_TYPES:
        assert is_valid_uscc(licence_type.code[:18]) and licence_type.code[18:].isdigit()
        assert licence_type.code[:18] == licence_type.defining_body.uscc
        assert licence_type.holder_kind in {"person", "company"} and licence_type.fields
        assert len(set(licence_type.field_keys)) == len(licence_type.fields)
    assert BY_SLUG["business-licence"].holder_kind == "company"
    assert BY_SLUG["driving-licence"].default_valid_until(date(2024, 2, 29)) == date(2030, 2, 28)
    assert BY_SLUG["business-licence"].default_valid_until(date(2024, 1, 1)) is None


def test_identifiers_are_built_and_checked() -> None:
    licence_type = BY_SLUG["food-business-licence"]
    issuer = "11310000DELTA2002" + "X"
    issuer = issuer[:17] + __import__("standards.identifiers.uscc", fromlist=["x"]).check_char(
        issuer[:17]
    )
    built = licence_identifier(licence_type, issuer_uscc=issuer, serial="AB12", version=3)
    parsed = parse_licence_id(built)
    assert (parsed.type_code, parsed.issuer_uscc, parsed.serial, parsed.version) == (
        licence_type.code, issuer, "AB12", "003")  # fmt: skip
    wrong_check = built[:-1] + ("0" if built[-1] != "0" else "1")
    with pytest.raises(InvalidLicenceId):
        parse_licence_id(wrong_check)
    with pytest.raises(ValueError, match="three digits"):
        licence_identifier(licence_type, issuer_uscc=issuer, serial="AB12", version=1000)


def test_face_data_is_typed() -> None:
    licence_type = BY_SLUG["disability-certificate"]
    good = {"name": "某", "sex": "男", "category": "肢体", "grade": 2}
    assert face_data_errors(licence_type, good) == {}
    bad = face_data_errors(licence_type, {**good, "grade": "2", "extra": 1, "name": ""})
    assert set(bad) == {"grade", "extra", "name"}
    assert face_data_errors(BY_SLUG["birth-certificate"], {"birth_date": "2020-02-30"})[
        "birth_date"
    ]
    assert face_data_errors(licence_type, [1]) == {"face_data": "must be an object of field values"}
    assert "face.grade" in releasable_fields(licence_type)


# --- Bitstring Status List ----------------------------------------------------------------------


def _zeros(size: int) -> bytes:
    return gzip.compress(b"\x00" * size, mtime=0)


def independent_decode(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_encoding_matches_the_w3c_layout() -> None:
    encoded = status_list.encode_indexes([0, 7, 8, 131_071], size=131_072)
    assert encoded.startswith("u") and "=" not in encoded
    bits = independent_decode(encoded)
    assert len(bits) == 16_384
    assert bits[0] == 0b1000_0001 and bits[1] == 0b1000_0000 and bits[-1] == 0b0000_0001
    decoded = status_list.decode(encoded)
    assert decoded == bits
    assert [status_list.is_set(decoded, i) for i in (0, 1, 7, 8, 131_071)] == [
        True,
        False,
        True,
        True,
        True,
    ]
    assert status_list.encode_indexes([5], size=131_072) == status_list.encode_indexes(
        [5], size=131_072
    )


@pytest.mark.parametrize(
    "encoded",
    [
        "zH4sI",  # another multibase
        "u!!!",  # not base64url
        "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="),
        # gzip without a timestamp: the ids must be the same in every pytest worker
        "u" + base64.urlsafe_b64encode(_zeros(100)).decode().rstrip("="),  # short
        "u" + base64.urlsafe_b64encode(_zeros(20_000)[:-8]).decode().rstrip("="),
    ],
)
def test_bad_lists_are_refused(encoded: str) -> None:
    with pytest.raises(status_list.StatusListError):
        status_list.decode(encoded)


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = compressor.compress(b"\x00" * (64 * 1024 * 1024)) + compressor.flush()
    encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(status_list.StatusListError, match="larger"):
        status_list.decode(encoded, max_bytes=1024 * 1024)


def test_indexes_outside_the_list_are_refused() -> None:
    bits = status_list.bitstring([], size=131_072)
    with pytest.raises(status_list.StatusListError):
        status_list.is_set(bits, 131_072)
    with pytest.raises(status_list.StatusListError):
        status_list.is_set(bits, -1)
    with pytest.raises(status_list.StatusListError):
        status_list.bitstring([131_072], size=131_072)
    with pytest.raises(status_list.StatusListError):
        status_list.bitstring([], size=1024)
