"""Every table of a node database, imported in one place for Alembic and the app."""

from __future__ import annotations

from interregion.audit.models import AuditRecord
from interregion.identity.models import Account
from interregion.sso.models import (
    BrowserSession,
    ConsumedAssertion,
    IdpAuthnRequest,
    PendingRequest,
)
from interregion.window.models import WindowCode

# Window cases and staff (interregion/cases, interregion/staff).
from interregion.cases.models import (  # noqa: E402
    Case,
    CaseEvent,
    CaseLicence,
    CaseMaterial,
    InboxMessage,
    MatterListCopy,
    OutboxMessage,
)
from interregion.staff.models import StaffAccount, StaffApiToken  # noqa: E402

__all__ = [
    "Account",
    "AuditRecord",
    "BrowserSession",
    "ConsumedAssertion",
    "IdpAuthnRequest",
    "PendingRequest",
    "WindowCode",
    # Window cases and staff.
    "Case",
    "CaseEvent",
    "CaseLicence",
    "CaseMaterial",
    "InboxMessage",
    "MatterListCopy",
    "OutboxMessage",
    "StaffAccount",
    "StaffApiToken",
]
