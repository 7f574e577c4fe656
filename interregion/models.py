"""Every table of a node database, imported in one place for Alembic and the app."""

from __future__ import annotations

from interregion.audit.models import AuditRecord
from interregion.cases.models import (
    Case,
    CaseEvent,
    CaseLicence,
    CaseMaterial,
    InboxMessage,
    MatterListCopy,
    OutboxMessage,
)
from interregion.identity.models import Account
from interregion.licences.models import (
    Department,
    Disclosure,
    Licence,
    StatusAllocation,
    StatusListState,
)
from interregion.replay import REPLAY_TABLE
from interregion.sso.models import (
    BrowserSession,
    ConsumedAssertion,
    IdpAuthnRequest,
    PendingRequest,
)
from interregion.staff.models import StaffAccount, StaffApiToken
from interregion.window.models import WindowCode

__all__ = [
    "REPLAY_TABLE",
    "Account",
    "AuditRecord",
    "BrowserSession",
    # Window cases and staff (interregion/cases, interregion/staff).
    "Case",
    "CaseEvent",
    "CaseLicence",
    "CaseMaterial",
    "ConsumedAssertion",
    "Department",
    "Disclosure",
    "IdpAuthnRequest",
    "InboxMessage",
    "Licence",
    "MatterListCopy",
    "OutboxMessage",
    "PendingRequest",
    "StaffAccount",
    "StaffApiToken",
    "StatusAllocation",
    "StatusListState",
    "WindowCode",
]
