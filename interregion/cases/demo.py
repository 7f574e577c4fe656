"""Demo cases (never in production): taken in at a region's first window for demo applicants.

They go through the same intake functions as a clerk's cases -- draft,
identity, signed consent, checked and hashed scans, submit with the
outgoing message in the same transaction -- except that the applicant's
identity is the demo person's (no home-node login at a window nobody
stands at), marked ``source: demo``. ``make run`` seeds a few per region in
different states (:func:`seed_demo_cases`); ``delta demo cases`` makes more.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interregion.cases import intake, review
from interregion.cases.matters import MatterLists
from interregion.cases.models import Case
from interregion.cases.store import MaterialStore
from interregion.cases.units import first_window
from interregion.cases.uploads import check_upload
from interregion.clock import utcnow
from interregion.identity import attributes
from interregion.identity.demo_people import demo_people
from interregion.identity.levels import Level
from interregion.staff import service as staff_service
from interregion.staff.demo import DEMO_DEPARTMENT, demo_staff
from interregion.staff.models import StaffAccount
from interregion.window.service import WindowIdentity
from standards.masking import mask_citizen_id
from standards.regions import DELTA_PROVINCES

if TYPE_CHECKING:
    from delta.settings import Settings
    from interregion.node import Node

log = logging.getLogger(__name__)
# A matter with two materials (form and ID), decided by the demo reviewer's department.
BULK_MATTER = "018"
BATCH = 50


def next_region(region: str) -> str:
    index = DELTA_PROVINCES.index(region)
    return DELTA_PROVINCES[(index + 1) % len(DELTA_PROVINCES)]


def scan_pdf(text: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text, "/Producer": "delta demo scanner"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def scan_png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (seed % 251, (seed * 7) % 253, 120)).save(buffer, "PNG")
    return buffer.getvalue()


def _identity(home: str, index: int) -> WindowIdentity:
    people = [p for p in demo_people(home) if p.kind == "resident"]
    person = people[index % len(people)]
    values = {
        attributes.NAME.key: person.name,
        attributes.MASKED_ID.key: mask_citizen_id(person.citizen_id),
        attributes.DATE_OF_BIRTH.key: person.birth_date.isoformat(),
        attributes.SUBJECT_KIND.key: person.kind,
    }
    return WindowIdentity(home, f"demo-{person.username}", Level.SUBSTANTIAL, values, "")


def create_demo_cases(
    node: Node, *, count: int, deciding: str | None = None, matter_number: str = BULK_MATTER
) -> list[str]:
    """``count`` submitted cases from this region's first window to ``deciding``."""
    region = node.region_code
    deciding = deciding or next_region(region)
    if deciding == region or deciding not in DELTA_PROVINCES:
        raise ValueError("the deciding region must be another region of the delta")
    matters = MatterLists(node, ttl=timedelta(seconds=node.settings.case_matter_list_ttl_seconds))
    listed = matters.get(deciding, now=utcnow())
    matter = listed.find(f"{deciding}-{DEMO_DEPARTMENT}-{matter_number}")
    if matter is None:
        raise ValueError(f"{deciding} lists no demo matter {matter_number}")
    matter = {**matter, "list_version": listed.version}
    store = MaterialStore(node.folder / "materials")
    clerk_name = next(s.username for s in demo_staff(region) if s.role == "clerk")
    home = next_region(deciding) if next_region(deciding) != region else next_region(region)
    numbers: list[str] = []
    started = time.monotonic()
    for first in range(0, count, BATCH):
        with node.transaction() as session:
            clerk = staff_service.find(session, clerk_name)
            assert clerk is not None
            assert clerk.window == first_window(region).code
            for index in range(first, min(count, first + BATCH)):
                numbers.append(_one_case(session, node, store, clerk, matter, home, index))
        node.audit.append(
            event="case.demo-created",
            actor="demo",
            peer=deciding,
            detail={"cases": numbers[first : first + BATCH]},
        )
    log.info(
        "%d demo cases %s -> %s in %.1f s", count, region, deciding, time.monotonic() - started
    )
    return numbers


def _one_case(  # noqa: PLR0917
    session: Session,
    node: Node,
    store: MaterialStore,
    clerk: StaffAccount,
    matter: dict[str, Any],
    home: str,
    index: int,
) -> str:
    now = utcnow()
    case = intake.open_draft(session, node=node, staff=clerk, matter=matter, now=now)
    intake.attach_identity(session, case=case, identity=_identity(home, index), now=now)
    case.applicant["source"] = "demo"
    intake.sign_consent(session, node=node, case=case, staff=clerk, contact="13800000000", now=now)
    limit = node.settings.case_max_material_bytes
    for material in case.matter.get("materials", []):
        if not material.get("required", True):
            continue
        code = material["code"]
        data = scan_pdf(f"{case.number} {code}") if code != "M90" else scan_png(index)
        name = "scan.pdf" if data.startswith(b"%PDF") else "scan.png"
        checked = check_upload(data, filename=name, declared_type=None, max_bytes=limit)
        intake.add_material(
            session,
            store=store,
            case=case,
            material=code,
            checked=checked,
            max_materials=node.settings.case_max_materials,
            now=now,
        )
    session.flush()
    intake.submit(session, node=node, case=case, staff=clerk, now=now)
    return case.number


# --- make run: a few cases per region, in different states ------------------------------------


def seed_demo_cases(settings: Settings, *, wait_seconds: float = 60) -> dict[str, int]:
    """On a demo's first start: five cases from each region to the next, moved to
    submitted / accepted / 补正 / approved / not accepted by the next region's demo reviewer."""
    from interregion.node import Node

    nodes = {code: Node.open(settings, code, refresh=False) for code in DELTA_PROVINCES}
    made: dict[str, int] = {}
    try:
        for code, node in nodes.items():
            with node.transaction() as session:
                if session.scalar(select(func.count()).select_from(Case)):
                    continue
            made[code] = len(create_demo_cases(node, count=5))
        for code in made:
            _decide_some(nodes[next_region(code)], accepting=code, wait_seconds=wait_seconds)
    finally:
        for node in nodes.values():
            node.close()
    return made


def _decide_some(node: Node, *, accepting: str, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        with node.transaction() as session:
            received = list(
                session.scalars(
                    select(Case)
                    .where(Case.side == "deciding", Case.accepting_region == accepting)
                    .order_by(Case.number)
                )
            )
        if len(received) >= 5:
            break
        time.sleep(0.5)
    else:
        log.warning("demo cases from %s did not reach %s in time", accepting, node.region_code)
        return
    reviewer_name = next(s.username for s in demo_staff(node.region_code) if s.role == "reviewer")
    steps = ["", "accept", "correction", "approve", "not-accept"]
    for case, step in zip(received, steps, strict=False):
        now = utcnow()
        with node.transaction() as session:
            reviewer = staff_service.find(session, reviewer_name)
            row = session.get(Case, case.number)
            assert reviewer is not None
            assert row is not None
            if step in ("accept", "approve"):
                review.accept(session, case=row, staff=reviewer, now=now)
            if step == "approve":
                review.decide(
                    session,
                    case=row,
                    staff=reviewer,
                    approved=True,
                    note="准予 / approved (demo)",
                    now=now + timedelta(seconds=1),
                )
            if step == "correction":
                review.request_correction(
                    session,
                    case=row,
                    staff=reviewer,
                    materials=["M90"],
                    note="身份证明复印件不清晰 / the ID copy is unreadable",
                    now=now,
                )
            if step == "not-accept":
                review.not_accept(
                    session,
                    case=row,
                    staff=reviewer,
                    note="不属于本部门职权范围 / not this department's matter (demo)",
                    now=now,
                )
