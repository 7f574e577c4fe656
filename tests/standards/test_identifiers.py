from datetime import date

import pytest

from standards.identifiers import (
    InvalidCitizenId,
    InvalidLicenceId,
    InvalidUSCC,
    parse_citizen_id,
    parse_licence_id,
    parse_uscc,
)
from standards.identifiers.citizen_id import make_citizen_id
from standards.identifiers.licence_id import LicenceId
from standards.identifiers.uscc import make_uscc
from standards.masking import mask_citizen_id, redact_identifiers

# The worked example of GB 11643's check character (a published, fictitious number).
GB11643_EXAMPLE = "11010519491231002X"


def test_citizen_id_published_example_is_valid() -> None:
    parsed = parse_citizen_id(GB11643_EXAMPLE)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.area_code == "110105"
    assert parsed.sex == "female"


@pytest.mark.parametrize(
    "bad",
    ["110105194912310021", "11010519491331002X", "01010519491231002X", "1101051949123100", "abc"],
)
def test_citizen_id_rejects_bad_values(bad: str) -> None:
    with pytest.raises(InvalidCitizenId):
        parse_citizen_id(bad)


def test_made_citizen_ids_round_trip() -> None:
    value = make_citizen_id("330106", date(1990, 5, 17), 123)
    assert parse_citizen_id(value).sex == "male"


def test_uscc_check_character() -> None:
    # A well-known published sample code (its check character is computed per GB 32100).
    code = make_uscc("9", "1", "310000", "MA1FL0000")
    assert parse_uscc(code) == code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidUSCC):
        parse_uscc(wrong)
    assert parse_uscc(wrong, legacy_exceptions={wrong}) == wrong


@pytest.mark.parametrize("bad", ["91310000MA1FL0000I", "short", "9131000OMA1FL00001"])
def test_uscc_rejects_letters_outside_alphabet(bad: str) -> None:
    with pytest.raises(InvalidUSCC):
        parse_uscc(bad)


def test_licence_id_round_trip_and_tamper() -> None:
    body = make_uscc("1", "1", "100000", "000013338")
    issuer = make_uscc("1", "1", "310000", "002420000")
    licence = LicenceId(
        type_code=body + "001", issuer_uscc=issuer, serial="2024A0001", version="001"
    )
    text = str(licence)
    assert parse_licence_id(text) == licence
    tampered = text.replace("2024A0001", "2024A0002")
    with pytest.raises(InvalidLicenceId):
        parse_licence_id(tampered)


def test_masking() -> None:
    assert mask_citizen_id(GB11643_EXAMPLE) == "110*************2X"
    line = f"login for {GB11643_EXAMPLE} from 10.0.0.1"
    assert GB11643_EXAMPLE not in redact_identifiers(line)
    assert "110*************2X" in redact_identifiers(line)
