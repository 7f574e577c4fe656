"""The licence register behind ``license_list`` and the DCAT-AP / Data Package mappings.

Ids follow CKAN's defaults plus versioned SPDX-style ids that current
portals use (``cc-by-4.0``). Unknown ids are accepted on datasets, as CKAN
does, and shown with the id as their title.
"""

from __future__ import annotations

from dataclasses import dataclass


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


LICENCES: tuple[Licence, ...] = (
    Licence("cc-by-4.0", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/", True, "Creative Commons", "CC-BY-4.0", "知识共享署名 4.0"),
    Licence("cc-by-sa-4.0", "Creative Commons Attribution Share-Alike 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", True, "Creative Commons", "CC-BY-SA-4.0", "知识共享署名-相同方式共享 4.0"),
    Licence("cc0-1.0", "Creative Commons CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", True, "Creative Commons", "CC0-1.0", "CC0 公共领域贡献"),
    Licence("odc-by", "Open Data Commons Attribution License", "https://opendatacommons.org/licenses/by/1-0/", True, "Open Data Commons", "ODC-By-1.0", "开放数据共享署名许可"),
    Licence("odc-odbl", "Open Data Commons Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/1-0/", True, "Open Data Commons", "ODbL-1.0", "开放数据库许可"),
    Licence("odc-pddl", "Open Data Commons Public Domain Dedication and License (PDDL)", "https://opendatacommons.org/licenses/pddl/1-0/", True, "Open Data Commons", "PDDL-1.0", "公共领域贡献与许可"),
    Licence("cc-by", "Creative Commons Attribution", "https://creativecommons.org/licenses/by/4.0/", True, "Creative Commons", "CC-BY-4.0", "知识共享署名"),
    Licence("cc-by-sa", "Creative Commons Attribution Share-Alike", "https://creativecommons.org/licenses/by-sa/4.0/", True, "Creative Commons", "CC-BY-SA-4.0", "知识共享署名-相同方式共享"),
    Licence("cc-zero", "Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/", True, "Creative Commons", "CC0-1.0", "CC0"),
    Licence("cc-nc", "Creative Commons Non-Commercial (Any)", "https://creativecommons.org/licenses/by-nc/4.0/", False, "Creative Commons", "CC-BY-NC-4.0", "知识共享署名-非商业性使用"),
    Licence("other-open", "Other (Open)", "", True, "", None, "其他（开放）"),
    Licence("other-pd", "Other (Public Domain)", "", True, "", None, "其他（公共领域）"),
    Licence("other-at", "Other (Attribution)", "", True, "", None, "其他（署名）"),
    Licence("other-nc", "Other (Non-Commercial)", "", False, "", None, "其他（非商业性）"),
    Licence("other-closed", "Other (Not Open)", "", False, "", None, "其他（非开放）"),
    Licence("notspecified", "License not specified", "", False, "", None, "未指定"),
)

BY_ID = {licence.id: licence for licence in LICENCES}


def get(licence_id: str | None) -> Licence | None:
    return BY_ID.get(licence_id or "")


def title_of(licence_id: str | None) -> str | None:
    if not licence_id:
        return None
    licence = get(licence_id)
    return licence.title if licence else licence_id
