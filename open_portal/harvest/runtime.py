"""Wiring datasets.harvest to a running portal: the harvest user and the job environment."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from datasets.harvest.jobs import HarvestEnv
from datasets.harvest.scheduler import Scheduler
from datasets.policy import Principal
from delta.db import transaction
from delta.errors import ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.runtime import Portal

# Harvested datasets are written by this account (CKAN uses its "site user" so).
HARVEST_USER = "harvest-bot"


def harvest_actor(portal: Portal) -> Principal:
    """The harvest user, created on first use with a password nobody knows."""
    for _ in range(2):
        with transaction(portal.sessions) as session:
            user = accounts.find_user(session, HARVEST_USER)
            if user is not None:
                return Principal(user_id=user.id, name=user.name, sysadmin=True)
        try:
            with transaction(portal.sessions) as session:
                accounts.create_user(
                    session,
                    name=HARVEST_USER,
                    email="harvest-bot@invalid.example",
                    password=secrets.token_urlsafe(48),
                    sysadmin=True,
                    fullname="Harvester",
                )
        except (IntegrityError, ValidationFailed):
            continue  # another process created it: read it again
    raise RuntimeError("could not create the harvest user")


def harvest_env(portal: Portal) -> HarvestEnv:
    settings = portal.settings
    return HarvestEnv(
        sessions=portal.sessions,
        units=portal.unit_of_work,
        actor=lambda: harvest_actor(portal),
        timeout=settings.harvest_http_timeout_seconds,
        max_pages=settings.harvest_max_pages,
        max_bytes=settings.harvest_max_document_bytes,
    )


def scheduler(portal: Portal) -> Scheduler:
    return Scheduler(
        harvest_env(portal),
        poll_seconds=portal.settings.harvest_poll_seconds,
        lease_seconds=portal.settings.harvest_lease_seconds,
    )


def start_harvest_scheduler(portal: Portal) -> Scheduler:
    """The scheduler thread of this process (docs/dcat.md: one lease, many processes)."""
    running = scheduler(portal)
    running.start()
    return running
