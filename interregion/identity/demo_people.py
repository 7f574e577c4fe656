"""The demo residents and companies of each region: deterministic and clearly fake.

Why clearly fake: every citizen ID is checksum-valid (so the real checks run)
but has a birth date in 1900-1910 and a sequence number of 991-996, so the
holder would be well over a hundred years old; every company's USCC has the
organisation code ``DELTA0001`` and its name says 示例 (example). The area
codes are real places of the region (Xuhui, Suzhou, Hangzhou, Suzhou in Anhui,
the places the project's source documents come from), so the numbers look
and validate like the real thing.

Passwords and TOTP secrets are derived from the username: anyone can read
them here, which is why demo accounts are only created outside production.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date

from interregion.identity.levels import Level
from standards.identifiers.citizen_id import make_citizen_id
from standards.identifiers.uscc import make_uscc
from standards.masking import mask_citizen_id

REGION_PREFIXES = {"310000": "hu", "320000": "su", "330000": "zhe", "340000": "wan"}
_AREAS = {"310000": "310104", "320000": "320500", "330000": "330100", "340000": "341300"}


@dataclass(frozen=True)
class DemoPerson:
    username: str
    password: str
    kind: str  # "resident" | "company"
    name: str
    name_en: str
    citizen_id: str
    birth_date: date
    proofing_level: Level
    totp_secret: str | None
    company_uscc: str | None = None
    company_name: str | None = None
    company_role: str | None = None


@dataclass(frozen=True)
class _Row:
    suffix: str
    kind: str
    name: str
    name_en: str
    born: date
    sequence: int
    proofing: Level
    company: str | None = None
    role: str | None = None


_PEOPLE: dict[str, tuple[_Row, ...]] = {
    "310000": (
        _Row("resident", "resident", "张明", "Zhang Ming", date(1901, 3, 15), 991, Level.HIGH),
        _Row("company", "company", "李华", "Li Hua", date(1902, 7, 1), 993, Level.HIGH,
             "上海示例数据科技有限公司", "legal-representative"),
        _Row("visitor", "resident", "王芳", "Wang Fang", date(1905, 11, 20), 992, Level.LOW),
    ),
    "320000": (
        _Row("resident", "resident", "陈静", "Chen Jing", date(1903, 5, 8), 994, Level.HIGH),
        _Row("company", "company", "刘洋", "Liu Yang", date(1904, 9, 30), 995, Level.HIGH,
             "苏州示例精密制造有限公司", "agent"),
        _Row("visitor", "resident", "杨磊", "Yang Lei", date(1906, 2, 14), 991, Level.LOW),
    ),
    "330000": (
        _Row("resident", "resident", "周敏", "Zhou Min", date(1900, 12, 1), 996, Level.HIGH),
        _Row("company", "company", "吴强", "Wu Qiang", date(1907, 4, 18), 991, Level.HIGH,
             "杭州示例网络服务有限公司", "legal-representative"),
        _Row("visitor", "resident", "郑丽", "Zheng Li", date(1908, 8, 8), 994, Level.LOW),
    ),
    "340000": (
        _Row("resident", "resident", "孙伟", "Sun Wei", date(1909, 6, 6), 993, Level.HIGH),
        _Row("company", "company", "胡军", "Hu Jun", date(1910, 10, 10), 995, Level.HIGH,
             "宿州示例现代农业有限公司", "agent"),
        _Row("visitor", "resident", "何娟", "He Juan", date(1904, 1, 25), 992, Level.LOW),
    ),
}  # fmt: skip


def demo_totp_secret(username: str) -> str:
    digest = hashlib.sha256(f"delta-demo-totp:{username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def demo_password(username: str) -> str:
    return f"delta-{username}"


def demo_people(region_code: str) -> tuple[DemoPerson, ...]:
    """The demo accounts of one region (empty for regions outside the delta)."""
    prefix, area = REGION_PREFIXES.get(region_code), _AREAS.get(region_code)
    if prefix is None or area is None:
        return ()
    people = []
    for row in _PEOPLE[region_code]:
        username = f"{prefix}-{row.suffix}"
        people.append(
            DemoPerson(
                username=username,
                password=demo_password(username),
                kind=row.kind,
                name=row.name,
                name_en=row.name_en,
                citizen_id=make_citizen_id(area, row.born, row.sequence),
                birth_date=row.born,
                proofing_level=row.proofing,
                totp_secret=demo_totp_secret(username) if row.proofing is Level.HIGH else None,
                company_uscc=make_uscc("9", "1", area, "DELTA0001") if row.company else None,
                company_name=row.company,
                company_role=row.role,
            )
        )
    return tuple(people)


def account_listing(region_code: str) -> list[dict[str, object]]:
    """What ``delta demo accounts`` prints: enough to log in, and the fake numbers."""
    listing: list[dict[str, object]] = []
    for person in demo_people(region_code):
        entry: dict[str, object] = {
            "username": person.username,
            "password": person.password,
            "name": person.name,
            "kind": person.kind,
            "name_en": person.name_en,
            "max_level": person.proofing_level.value,
            # Masked even here: full ID numbers (fake or not) stay out of output people copy around.
            "citizen_id_masked": mask_citizen_id(person.citizen_id),
        }
        if person.totp_secret:
            entry["totp_secret"] = person.totp_secret
        if person.company_uscc:
            entry.update(
                uscc=person.company_uscc, company=person.company_name, role=person.company_role
            )
        listing.append(entry)
    return listing
