"""State of logins in flight and of browser sessions, on both sides of the SSO.

Nothing here is trusted from the browser: cookies carry only a signed random
handle, and everything a decision depends on (which request is pending, for
which home region and level, where to go afterwards) lives in these rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from interregion.clock import utcnow
from interregion.db import Base


class BrowserSession(Base):
    """A cookie's server side. ``purpose`` is ``idp`` (logged in at home) or ``sp`` (at a service).

    The primary key is a SHA-256 of the cookie's token, so the table alone
    cannot be used to hijack a session.
    """

    __tablename__ = "browser_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    # idp: who logged in and how well; empty until the login succeeds.
    account_id: Mapped[str | None] = mapped_column(String(36))
    level: Mapped[str | None] = mapped_column(String(16))
    authn_at: Mapped[datetime | None] = mapped_column()
    # Password accepted, TOTP still due: the account waits here, not logged in yet.
    pending_account_id: Mapped[str | None] = mapped_column(String(36))
    # sp: the identity a home node asserted (released attributes, level, pairwise id, issuer).
    identity: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_browser_session_expires", "expires_at"),)


class PendingRequest(Base):
    """An AuthnRequest we sent and whose Response we have not seen yet (SP side)."""

    __tablename__ = "sp_pending_request"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the AuthnRequest ID
    home_region: Mapped[str] = mapped_column(String(6))
    idp_entity_id: Mapped[str] = mapped_column(String(500))
    min_level: Mapped[str] = mapped_column(String(16))
    requested: Mapped[list[Any]] = mapped_column(default=list)
    next_path: Mapped[str] = mapped_column(String(500))
    # SHA-256 of a nonce in the starting browser's cookie: a Response only logs in that browser.
    browser_binding: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    consumed_at: Mapped[datetime | None] = mapped_column()


class ConsumedAssertion(Base):
    """Every assertion accepted, until it would have expired anyway: a second use is a replay."""

    __tablename__ = "sp_consumed_assertion"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(issuer, ID)
    issuer: Mapped[str] = mapped_column(String(500))
    consumed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class IdpAuthnRequest(Base):
    """A login at home in progress, from the login form through consent.

    Usually for an AuthnRequest we received; for a window code (see
    :mod:`interregion.window`) the same steps run without one.
    """

    __tablename__ = "idp_authn_request"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # our handle, in the URL
    # "saml": answer with a Response to the ACS; "window": hand the person a one-time code.
    kind: Mapped[str] = mapped_column(String(8), default="saml")
    request_id: Mapped[str] = mapped_column(String(256))  # the SP's AuthnRequest ID
    sp_entity_id: Mapped[str] = mapped_column(String(500))
    sp_region: Mapped[str] = mapped_column(String(6))
    acs_url: Mapped[str] = mapped_column(String(500))
    relay_state: Mapped[str] = mapped_column(String(80), default="")
    min_level: Mapped[str] = mapped_column(String(16))
    requested: Mapped[list[Any]] = mapped_column(default=list)
    force_authn: Mapped[bool] = mapped_column(Boolean, default=False)
    browser_session: Mapped[str] = mapped_column(String(64))  # token hash of the IdP session
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
