"""Licences at the cross-region window: the applicant's consent at home covers their licences
too, and window staff verify them with the issuing region under that same consent.

On the home node's window consent page the applicant sees which licences the
window may check and which fields each check releases (the recognition list's
``window-identity`` scenario). When the window redeems the code, the home
node's identity answer carries a ``licence-consent+jwt`` for those licences;
the window then asks the issuer over the exchange like any other verifier.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from interregion.identity.models import Account
from interregion.licences import recognition, service
from interregion.licences.consent import issue_consent
from interregion.licences.models import Licence
from signing.federation import RecognitionEntry
from standards.licence_types import field_label, get_type

if TYPE_CHECKING:
    from interregion.node import Node

WINDOW_SCENARIO = "window-identity"


def holder_code(account: Account) -> str:
    """At a window a company's representative shows the company's licences, a person theirs."""
    return (
        account.company_uscc
        if account.kind == "company" and account.company_uscc
        else account.citizen_id
    )


def _entry(node: Node, licence: Licence, window_region: str) -> RecognitionEntry | None:
    return recognition.find_entry(
        node.federation(), licence_type=licence.type_code, scenario=WINDOW_SCENARIO,
        requester_region=window_region, issuer_region=node.region_code,
    )  # fmt: skip


def checkable(
    session: Session, *, node: Node, account: Account, window_region: str
) -> list[tuple[Licence, RecognitionEntry]]:
    """The account's licences (not revoked) that the window's region recognises for windows."""
    found = []
    for licence in service.listing(session, holder_code=holder_code(account)):
        entry = _entry(node, licence, window_region)
        if entry is not None and licence.status != "revoked":
            found.append((licence, entry))
    return found


def consent_preview(
    session: Session, *, node: Node, account: Account, window_region: str
) -> list[dict[str, Any]]:
    """What the consent page shows: each licence and the fields a window check releases."""
    preview = []
    for licence, entry in checkable(
        session, node=node, account=account, window_region=window_region
    ):
        licence_type = get_type(licence.type_code)
        assert licence_type is not None
        preview.append(
            {
                "name": licence.name,
                "identifier": licence.identifier,
                "fields": [field_label(licence_type, f) for f in entry.fields],
            }
        )
    return preview


def consent_claims(
    session: Session, *, node: Node, account: Account, window_region: str, now: datetime
) -> dict[str, Any]:
    """Claims added to the identity answer: the consent and the licences it covers."""
    licences = [
        lic
        for lic, _ in checkable(session, node=node, account=account, window_region=window_region)
    ]
    if not licences:
        return {}
    token = issue_consent(
        node=node, holder_code=holder_code(account), requester_region=window_region,
        scenarios=[WINDOW_SCENARIO], licences=licences, channel="window", now=now,
    )  # fmt: skip
    return {
        "licence_consent": token,
        "licences": [{"identifier": lic.identifier, "name": lic.name} for lic in licences],
    }
