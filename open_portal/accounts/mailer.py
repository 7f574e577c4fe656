"""Sending mail, pluggable: to the log in development, over SMTP in production.

``DELTA_MAILER=log`` (the default) writes each message to the log, so a
developer can follow a verification link without a mail server;
``DELTA_MAILER=smtp://host:port`` sends it.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import urlsplit

log = logging.getLogger("delta.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class LogMailer:
    """Development: the message goes to the log (never used for real recipients)."""

    def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(message)


def from_setting(value: str, *, sender: str) -> Mailer:
    if value == "log":
        return LogMailer()
    parts = urlsplit(value)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ValueError(f"DELTA_MAILER must be 'log' or smtp://host:port, not {value!r}")
    return SmtpMailer(parts.hostname, parts.port or 25, sender)
