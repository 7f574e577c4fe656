"""Every table of a node database, imported in one place for Alembic and the app."""

from __future__ import annotations

from interregion.audit.models import AuditRecord
from interregion.identity.models import Account
from interregion.licences.models import (
    Department,
    Disclosure,
    Licence,
    StatusAllocation,
    StatusListState,
)
from interregion.sso.models import (
    BrowserSession,
    ConsumedAssertion,
    IdpAuthnRequest,
    PendingRequest,
)
from interregion.window.models import WindowCode

__all__ = [
    "Account",
    "AuditRecord",
    "BrowserSession",
    "ConsumedAssertion",
    "Department",
    "Disclosure",
    "IdpAuthnRequest",
    "Licence",
    "PendingRequest",
    "StatusAllocation",
    "StatusListState",
    "WindowCode",
]
