"""Each region's demo issuing departments and the demo people's licences (clearly fake).

Departments have checksum-valid USCCs with organisation codes ``DELTA2xxx``
in the region's own area code, so a licence identifier tells which region
issued it. Every demo resident and company has 2-4 licences at home; every
region's low-level visitor also holds one suspended, one revoked and one
expired licence, so each state can be tried everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interregion.identity.demo_people import DemoPerson, demo_people
from interregion.licences import service, status_lists
from interregion.licences.models import Department, Licence
from standards.identifiers.uscc import make_uscc
from standards.licence_types import BY_SLUG, LicenceType
from standards.regions import name_of

if TYPE_CHECKING:
    from interregion.node import Node

# (organisation code, name after the region's name, English, the types it issues)
_DEPARTMENTS = (
    ("DELTA2001", "公安厅", "Department of Public Security",
     ("resident-id-card", "driving-licence", "vehicle-licence", "household-register")),
    ("DELTA2002", "市场监督管理局", "Administration for Market Regulation",
     ("business-licence", "food-business-licence")),
    ("DELTA2003", "民政厅", "Department of Civil Affairs", ("marriage-certificate",)),
    ("DELTA2004", "卫生健康委员会", "Health Commission",
     ("birth-certificate", "physician-practice-certificate")),
    ("DELTA2005", "人力资源和社会保障厅", "Department of Human Resources and Social Security",
     ("social-security-card",)),
    ("DELTA2006", "自然资源厅", "Department of Natural Resources", ("real-estate-certificate",)),
    ("DELTA2007", "教育厅", "Department of Education", ("teacher-qualification",)),
    ("DELTA2008", "残疾人联合会", "Disabled Persons' Federation", ("disability-certificate",)),
    ("DELTA2009", "交通运输厅", "Department of Transport", ("road-transport-licence",)),
)  # fmt: skip

# What each demo person holds: (type slug, demo state)
_HOLDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "resident": (("resident-id-card", "valid"), ("driving-licence", "valid"),
                 ("social-security-card", "valid"), ("household-register", "valid")),
    "company": (("business-licence", "valid"), ("food-business-licence", "valid"),
                ("road-transport-licence", "valid")),
    "visitor": (("resident-id-card", "valid"), ("teacher-qualification", "suspended"),
                ("physician-practice-certificate", "revoked"), ("driving-licence", "expired")),
}  # fmt: skip


def department_uscc(region_code: str, organisation_code: str) -> str:
    return make_uscc("1", "1", region_code, organisation_code)


def seed_departments(session: Session, *, region_code: str) -> int:
    created = 0
    region = name_of(region_code)
    for code, name, name_en, slugs in _DEPARTMENTS:
        uscc = department_uscc(region_code, code)
        if session.get(Department, uscc) is None:
            session.add(
                Department(
                    uscc=uscc,
                    name=f"{region}{name}",
                    name_en=name_en,
                    types=[BY_SLUG[slug].code for slug in slugs],
                )
            )
            created += 1
    session.flush()
    return created


def issuer_for(session: Session, licence_type: LicenceType) -> Department:
    for department in session.scalars(select(Department).order_by(Department.uscc)):
        if licence_type.code in department.types:
            return department
    raise LookupError(licence_type.code)


def holder_of(person: DemoPerson) -> tuple[str, str]:
    if person.kind == "company" and person.company_uscc and person.company_name:
        return person.company_name, person.company_uscc
    return person.name, person.citizen_id


def face_data(licence_type: LicenceType, person: DemoPerson, region_code: str) -> dict[str, Any]:
    """Plausible, clearly fake face data for any type (every required field filled)."""
    region = name_of(region_code)
    known: dict[str, Any] = {
        "name": person.name, "sex": "男" if int(person.citizen_id[16]) % 2 else "女",
        "ethnicity": "汉", "birth_date": person.birth_date.isoformat(),
        "address": f"{region}示例路1号", "citizen_id": person.citizen_id,
        "company_name": person.company_name, "uscc": person.company_uscc,
        "company_type": "有限责任公司", "legal_representative": person.name,
        "registered_capital": "100万元人民币", "established": "2015-06-01",
        "business_scope": "示例经营范围", "licence_number": person.citizen_id[-12:],
        "first_issued": "2010-03-01", "vehicle_class": "C1", "operator": person.company_name,
        "main_business": "餐饮服务", "scope": "示例项目", "economic_type": "民营",
        "card_number": f"S{person.citizen_id[-8:]}", "bank": "示例银行",
        "category": "临床", "practice_place": f"{region}示例医院", "certificate_number": "EX0001",
        "qualification": "高级中学教师资格", "subject": "数学", "householder": person.name,
        "household_type": "家庭户", "relation": "户主",
    }  # fmt: skip
    return {
        field.key: known.get(field.key) or f"示例{field.label_zh}"
        for field in licence_type.fields
        if field.required or field.key in known
    }


def _state(session: Session, licence: Licence, state: str, now: datetime) -> None:
    if state in {"suspended", "revoked"}:
        action = "suspend" if state == "suspended" else "revoke"
        service.change_status(
            session, identifier=licence.identifier, action=action, reason="demo", now=now
        )


def seed_licences(session: Session, *, node: Node, now: datetime) -> int:
    """Give each demo person their licences (once: people who hold any are skipped)."""
    region_code = node.region_code
    seed_departments(session, region_code=region_code)
    created = 0
    for person in demo_people(region_code):
        name, code = holder_of(person)
        if service.listing(session, holder_code=code, limit=1):
            continue
        for slug, state in _HOLDINGS[person.username.split("-", 1)[1]]:
            licence_type = BY_SLUG[slug]
            expired = state == "expired"
            licence = service.issue(
                session, node=node, department_uscc=issuer_for(session, licence_type).uscc,
                type_code=licence_type.code, holder_name=name, holder_code=code,
                face_data=face_data(licence_type, person, region_code), now=now,
                valid_from=date(2010, 3, 1) if expired else None,
                valid_until=date(2016, 3, 1) if expired else None,
            )  # fmt: skip
            _state(session, licence, state, now)
            created += 1
    status_lists.changed(session, "revocation", "suspension")
    return created


def demo_listing(session: Session, *, region_code: str, now: datetime) -> list[dict[str, Any]]:
    """What ``delta demo licences`` prints: identifier, type, holder username, status."""
    listing = []
    for person in demo_people(region_code):
        _, code = holder_of(person)
        for licence in service.listing(session, holder_code=code):
            summary = service.summary(licence, now=now)
            listing.append(
                {
                    "identifier": licence.identifier,
                    "type": licence.type_code,
                    "type_name": licence.name,
                    "holder_username": person.username,
                    "holder_kind": summary["holder_kind"],
                    "status": summary["status"],
                }
            )
    return listing
