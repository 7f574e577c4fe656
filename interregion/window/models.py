"""One-time codes a person hands to a window in another region (home node side)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from interregion.clock import utcnow
from interregion.db import Base


class WindowCode(Base):
    """The person consented to release these attributes to that region's window, once."""

    __tablename__ = "idp_window_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    audience_region: Mapped[str] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(16))
    authn_at: Mapped[datetime] = mapped_column()
    released: Mapped[list[Any]] = mapped_column(default=list)
    full_id_consented: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    redeemed_at: Mapped[datetime | None] = mapped_column()
