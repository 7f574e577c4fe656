"""Demo staff per region (never in production): a clerk, a reviewer, a supervisor.

Passwords and TOTP secrets are derived from the username, so they are the
same on every machine and ``delta demo staff --region CODE`` can print them
without reading a database. They are public, like every demo secret.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from interregion.cases.units import department_code, first_window, unit
from interregion.identity.demo_people import REGION_PREFIXES
from interregion.staff import service

# The department whose demo reviewer decides the demo cases (and the README walkthrough).
DEMO_DEPARTMENT = "GJJ"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    password: str
    role: str
    window: str
    display_name: str
    totp_secret: str

    def as_json(self) -> dict[str, str]:
        place = unit(self.window)
        return {
            "username": self.username,
            "password": self.password,
            "role": self.role,
            "window": self.window,
            "window_name": place.name if place else "",
            "display_name": self.display_name,
            "totp_secret": self.totp_secret,
        }


def _secret(username: str) -> str:
    digest = hashlib.sha256(f"delta-demo-staff:{username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def demo_staff(region: str) -> list[DemoStaff]:
    prefix = REGION_PREFIXES.get(region)
    if prefix is None:
        return []
    people = (
        ("clerk", first_window(region).code, "窗口收件人员 / Window clerk"),
        ("reviewer", department_code(region, DEMO_DEPARTMENT), "审批人员 / Reviewer"),
        ("supervisor", first_window(region).code, "督办人员 / Supervisor"),
    )
    return [
        DemoStaff(
            username=f"{prefix}-{role}",
            password=f"delta-{prefix}-{role}",
            role=role,
            window=window,
            display_name=name,
            totp_secret=_secret(f"{prefix}-{role}"),
        )
        for role, window, name in people
    ]


# The demo passwords are printed by ``delta demo staff``: hashing them at full argon2id cost
# would only slow every first start down. Real accounts (``delta staff create``) get full cost.
_DEMO_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def seed_demo_staff(session: Session, *, region: str) -> int:
    created = 0
    for person in demo_staff(region):
        if service.find(session, person.username) is not None:
            continue
        service.create(
            session,
            region=region,
            username=person.username,
            role=person.role,
            window=person.window,
            display_name=person.display_name,
            password=person.password,
            totp_secret=person.totp_secret,
            password_hash=_DEMO_HASHER.hash(person.password),
        )
        created += 1
    return created
