"""Which staff may see which case: one rule, used by every page and API call.

* a clerk: the cases their own window took in (accepting side);
* a reviewer: the cases of matters their own department decides (deciding side);
* a supervisor: every case on this node.

Anything else is refused (``other-window``) with an audit record; the
queries below build the same rule into their WHERE clause, so lists never
show what a single read would refuse.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, true
from sqlalchemy.orm import Session

from interregion.cases.models import Case
from interregion.staff.auth import Refused, actor
from interregion.staff.models import StaffAccount


def visible(account: StaffAccount) -> Any:
    """The SQL condition for the cases ``account`` may see."""
    if account.role == "clerk":
        return and_(Case.side == "accepting", Case.accepting_window == account.window)
    if account.role == "reviewer":
        return and_(Case.side == "deciding", Case.department == account.window)
    return true()


def may_see(account: StaffAccount, case: Case) -> bool:
    if account.role == "clerk":
        return case.side == "accepting" and case.accepting_window == account.window
    if account.role == "reviewer":
        return case.side == "deciding" and case.department == account.window
    return True


def case_for(session: Session, account: StaffAccount, number: str) -> Case:
    """The case, if ``account`` may see it; a missing and a forbidden case differ (both audited)."""
    case = session.get(Case, number[:32])
    if case is None:
        raise Refused(
            "case-not-found",
            "there is no such case here",
            404,
            actor=actor(account),
            detail={"case": number[:32]},
        )
    if not may_see(account, case):
        raise Refused(
            "other-window",
            "this case belongs to another window or department",
            403,
            actor=actor(account),
            detail={"case": case.number, "window": account.window},
        )
    return case
