"""The attributes a home node can release, their SAML names and their labels.

Names are URIs (SAML NameFormat ``uri``) so they never clash with another
federation's friendly names. The full citizen ID is its own attribute: a
relying node has to ask for it, and the person has to tick it on the consent
page, otherwise only the masked form travels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ATTRIBUTE_PREFIX = "urn:delta:attribute:"
NAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"


@dataclass(frozen=True)
class AttributeSpec:
    key: str
    label_zh: str
    label_en: str
    company_only: bool = False
    needs_explicit_consent: bool = False

    @property
    def uri(self) -> str:
        return ATTRIBUTE_PREFIX + self.key

    @property
    def label(self) -> str:
        return f"{self.label_zh} / {self.label_en}"


NAME = AttributeSpec("name", "姓名", "name")
DATE_OF_BIRTH = AttributeSpec("date-of-birth", "出生日期", "date of birth")
MASKED_ID = AttributeSpec("citizen-id-masked", "身份证号（脱敏）", "citizen ID (masked)")
FULL_ID = AttributeSpec(
    "citizen-id", "身份证号（完整）", "citizen ID (full)", needs_explicit_consent=True
)
SUBJECT_KIND = AttributeSpec("subject-kind", "主体类型", "kind of subject")
HOME_REGION = AttributeSpec("home-region", "户籍/注册地区", "home region")
USCC = AttributeSpec("uscc", "统一社会信用代码", "unified social credit code", company_only=True)
COMPANY_NAME = AttributeSpec("company-name", "企业名称", "company name", company_only=True)
ROLE = AttributeSpec("role", "代表身份", "role in the company", company_only=True)

ALL = (NAME, DATE_OF_BIRTH, MASKED_ID, FULL_ID, SUBJECT_KIND, HOME_REGION, USCC, COMPANY_NAME, ROLE)
BY_KEY = {spec.key: spec for spec in ALL}
BY_URI = {spec.uri: spec for spec in ALL}

# What the demo service asks for: everything, the full ID optional (the person decides).
DEFAULT_REQUEST: tuple[str, ...] = tuple(spec.key for spec in ALL)

SUBJECT_KIND_LABELS = {
    "resident": "个人 / resident",
    "company": "企业 / company",
}
ROLE_LABELS = {
    "legal-representative": "法定代表人 / legal representative",
    "agent": "经办人 / authorised agent",
}


def known_keys(keys: Iterable[str]) -> list[str]:
    """Keep the attributes we know, in our canonical order, without duplicates."""
    wanted = set(keys)
    return [spec.key for spec in ALL if spec.key in wanted]


def release(
    values: Mapping[str, str], *, requested: Iterable[str], full_id_consented: bool
) -> dict[str, str]:
    """What may leave the home node: requested, present, and the full ID only when consented."""
    released: dict[str, str] = {}
    for key in known_keys(requested):
        if key == FULL_ID.key and not full_id_consented:
            continue
        value = values.get(key)
        if value:
            released[key] = value
    return released
