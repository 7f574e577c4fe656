"""E-licence identifiers (电子证照标识, after GB/T 36904).

``1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>`` where
the type code is the defining body's USCC followed by a three-digit number, the
version has three digits and the check character is computed over everything
before it with the USCC check algorithm's alphabet (ISO 7064 MOD 31-3 style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from standards.identifiers.uscc import ALPHABET, InvalidUSCC, parse_uscc

PREFIX = "1.2.156.3005.2"
_SERIAL = re.compile(r"^[0-9A-Za-z]{1,40}$")
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


class InvalidLicenceId(ValueError):
    pass


@dataclass(frozen=True)
class LicenceId:
    type_code: str
    issuer_uscc: str
    serial: str
    version: str

    @property
    def defining_body(self) -> str:
        return self.type_code[:18]

    def __str__(self) -> str:
        body = f"{PREFIX}.{self.type_code}.{self.issuer_uscc}.{self.serial}.{self.version}"
        return f"{body}.{check_char(body)}"


def check_char(body: str) -> str:
    """Check character over the letters and digits of ``body`` (dots ignored)."""
    total = 0
    for char in body.upper():
        if char == ".":
            continue
        # Letters outside the USCC alphabet still count: fold them into its range.
        value = _VALUE[char] if char in _VALUE else (ord(char) % 31)
        total = (total * 3 + value) % 31
    return ALPHABET[(31 - total) % 31]


def parse_licence_id(raw: str) -> LicenceId:
    value = raw.strip()
    if not value.startswith(PREFIX + "."):
        raise InvalidLicenceId(f"an e-licence identifier starts with {PREFIX}")
    parts = value[len(PREFIX) + 1 :].split(".")
    if len(parts) != 5:
        raise InvalidLicenceId(
            "an e-licence identifier has type, issuer, serial, version and check"
        )
    type_code, issuer, serial, version, _check = parts
    if len(type_code) != 21 or not type_code[18:].isdigit():
        raise InvalidLicenceId("the licence type code is a USCC followed by three digits")
    try:
        parse_uscc(type_code[:18])
        parse_uscc(issuer)
    except InvalidUSCC as exc:
        raise InvalidLicenceId(f"the licence identifier holds an invalid USCC: {exc}") from exc
    if not _SERIAL.match(serial):
        raise InvalidLicenceId("the licence serial is 1-40 letters or digits")
    if not (len(version) == 3 and version.isdigit()):
        raise InvalidLicenceId("the licence version has three digits")
    licence = LicenceId(type_code=type_code, issuer_uscc=issuer, serial=serial, version=version)
    if str(licence) != value:
        raise InvalidLicenceId("the check character of the licence identifier does not match")
    return licence
