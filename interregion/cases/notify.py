"""Telling applicants about their case: one small protocol, plug in any channel.

``DELTA_CASE_NOTIFIER=log`` (the default) writes each notice to the node's
log -- what development needs. A deployment names its own channel as
``module:factory`` (a callable taking the settings and returning a
:class:`Notifier`: an SMS gateway, the 随申办 app's push service, …). A
notice carries the case number, the new status, a note and the tracking
link; the phone number only reaches the notifier, never a log line in clear.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlencode

from standards.masking import mask_phone

if TYPE_CHECKING:
    from delta.settings import Settings
    from interregion.cases.models import Case, CaseEvent

log = logging.getLogger("interregion.cases.notices")


@dataclass(frozen=True)
class Notice:
    case_number: str
    status: str
    kind: str
    note: str
    at: datetime
    contact: str  # the applicant's phone, in full: for the channel, not for logs
    tracking_url: str

    @classmethod
    def of(cls, event: CaseEvent, case: Case, *, base_url: str) -> Notice:
        return cls(
            case_number=case.number,
            status=event.status,
            kind=event.kind,
            note=event.note,
            at=event.at,
            contact=case.contact,
            tracking_url=f"{base_url}/cases/track?{urlencode({'number': case.number})}",
        )


class Notifier(Protocol):
    def notify(self, notice: Notice) -> None: ...


class LogNotifier:
    """Development: the notice goes to the log (the phone masked)."""

    def notify(self, notice: Notice) -> None:
        log.info(
            "notice to applicant %s: case %s is %s (%s) %s",
            mask_phone(notice.contact) if notice.contact else "(no phone)",
            notice.case_number,
            notice.status,
            notice.kind,
            notice.tracking_url,
        )


def load_notifier(settings: Settings) -> Notifier:
    spec = settings.case_notifier.strip()
    if spec in ("", "log"):
        return LogNotifier()
    module_name, _, factory_name = spec.partition(":")
    if not factory_name:
        raise ValueError("DELTA_CASE_NOTIFIER is 'log' or 'module:factory'")
    factory = getattr(importlib.import_module(module_name), factory_name)
    notifier: Notifier = factory(settings)
    return notifier
