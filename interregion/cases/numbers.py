"""Case numbers and query codes (查询码).

A case number names the accepting region, the day and six random
characters: ``310000-20261121-K3QH7W``. The applicant tracks the case with
the number and an eight-digit query code printed on the receipt; the node
keeps only an HMAC of the code under its own key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime

from interregion.cases.workdays import CHINA

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L to misread
NUMBER = re.compile(r"^[0-9]{6}-[0-9]{8}-[" + _ALPHABET + r"]{6}$")


def new_case_number(region: str, now: datetime) -> str:
    day = now.astimezone(CHINA).strftime("%Y%m%d")
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    return f"{region}-{day}-{suffix}"


def is_case_number(value: str) -> bool:
    return bool(NUMBER.match(value))


def new_query_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def query_code_hash(key: bytes, case_number: str, code: str) -> str:
    return hmac.new(key, f"query:{case_number}:{code}".encode(), hashlib.sha256).hexdigest()


def query_code_matches(key: bytes, case_number: str, code: str, expected: str) -> bool:
    # Full-width digits (as Chinese input methods type them) are the same digits.
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", code) if ch in "0123456789")
    if len(digits) != 8 or not expected:
        return False
    return hmac.compare_digest(query_code_hash(key, case_number, digits), expected)
