"""Licences instead of paper: the window asks the issuing region (the licence work's
cross-region verification) and records the answer on the case."""

from __future__ import annotations

from interregion.cases.service import CaseDesk
from interregion.staff.auth import Refused, actor
from interregion.staff.models import StaffAccount


def verify_for_case(
    desk: CaseDesk, staff: StaffAccount, number: str, *, material: str, identifier: str
) -> None:
    raise Refused(
        "licence-verification-unavailable",
        "cross-region licence verification is not available on this node yet",
        503,
        actor=actor(staff),
        detail={"case": number, "material": material},
    )
