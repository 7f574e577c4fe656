"""Mount the window-case work on a node app: routes, staff sign-in, the delivery worker."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from interregion.cases import api, exchange_router, pages, public
from interregion.cases.service import CaseDesk
from interregion.node import Node
from interregion.staff import auth
from interregion.staff import router as staff_router
from interregion.staff.demo import seed_demo_staff

log = logging.getLogger(__name__)


def case_desk(node: Node) -> CaseDesk:
    """The node's case desk; demo staff are created on first start (never in production)."""
    settings = node.settings
    if settings.node_demo_accounts and settings.env != "production":
        with node.transaction() as session:
            created = seed_demo_staff(session, region=node.region_code)
        if created:
            log.info("created %d demo staff accounts for %s", created, node.region_code)
    return CaseDesk.for_node(node)


def install_cases(app: FastAPI, desk: CaseDesk) -> None:
    app.state.case_desk = desk
    auth.install(app)
    app.include_router(staff_router.router)
    app.include_router(exchange_router.router)
    app.include_router(api.router)
    app.include_router(public.router)
    app.include_router(pages.router)
