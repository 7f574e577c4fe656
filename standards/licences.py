"""The licence register behind ``license_list`` and the DCAT-AP / Data Package mappings.

Ids follow CKAN's defaults plus versioned SPDX-style ids that current
portals use (``cc-by-4.0``). Unknown ids are accepted on datasets, as CKAN
does, and shown with the id as their title.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    open: bool  # Open Definition conformant
    family: str = ""
    spdx: str | None = None
    title_zh: str = ""

    def as_ckan_dict(self) -> dict[str, object]:
        status = "active"
        conformance = "approved" if self.open else "not reviewed"
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "family": self.family,
            "status": status,
            "maintainer": "",
            "od_conformance": conformance,
            "osd_conformance": "not reviewed",
            "domain_content": True,
            "domain_data": True,
            "domain_software": False,
            "is_generic": self.id.startswith("other-") or self.id == "notspecified",
            "is_okd_compliant": self.open,
            "is_osi_compliant": False,
        }


LICENCES: tuple[Licence, ...] = tuple(
    Licence(**row)
    for row in json.loads(
        resources.files("standards.data").joinpath("licences.json").read_text("utf-8")
    )
)

BY_ID = {licence.id: licence for licence in LICENCES}


def get(licence_id: str | None) -> Licence | None:
    return BY_ID.get(licence_id or "")


def title_of(licence_id: str | None) -> str | None:
    if not licence_id:
        return None
    licence = get(licence_id)
    return licence.title if licence else licence_id
