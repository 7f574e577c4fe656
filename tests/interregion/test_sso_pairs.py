"""Done when: for every ordered pair of the four regions, a resident and a company
representative log in at home and are recognised by the other region with the
right attributes and level."""

from __future__ import annotations

from itertools import permutations

import pytest

from interregion.identity.attributes import BY_KEY, SUBJECT_KIND_LABELS
from standards.masking import mask_citizen_id
from standards.regions import DELTA_PROVINCES, get
from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster
from tests.interregion.flows import full_login, person

PAIRS = list(permutations(DELTA_PROVINCES, 2))


def label(key: str) -> str:
    return BY_KEY[key].label


@pytest.mark.parametrize("kind", ["resident", "company"])
@pytest.mark.parametrize(("home", "sp"), PAIRS, ids=[f"{h}-to-{s}" for h, s in PAIRS])
def test_recognised_in_the_other_region(
    cluster: Cluster, browser: Browser, home: str, sp: str, kind: str
) -> None:
    who = person(home, kind)
    # Residents share their full ID number, company representatives keep it masked.
    share = kind == "resident"
    page = full_login(browser, cluster, sp=sp, who=who, home=home, share_full_id=share)

    assert page.url == f"{cluster.url(sp)}/service", page.text[:2000]
    assert page.text_of("person-name") == who.name
    assert page.attr_of("home-region", "data-code") == home
    region = get(home)
    assert region is not None and region.name in page.text_of("home-region")
    assert page.attr_of("level", "data-level") == "substantial"

    shown = page.table()
    assert shown[label("date-of-birth")] == who.birth_date.isoformat()
    assert shown[label("citizen-id-masked")] == mask_citizen_id(who.citizen_id)
    assert shown[label("subject-kind")] == SUBJECT_KIND_LABELS[kind]  # "个人 / resident"
    if share:
        assert shown[label("citizen-id")] == who.citizen_id
    else:
        assert label("citizen-id") not in shown
        assert who.citizen_id not in page.text
    if kind == "company":
        assert shown[label("uscc")] == who.company_uscc
        assert shown[label("company-name")] == who.company_name
        assert who.company_role is not None
        assert who.company_role in {"legal-representative", "agent"}
        assert shown[label("role")].startswith(("法定代表人", "经办人"))
    else:
        assert label("uscc") not in shown

    accepted = cluster.last_audit(sp, "sso.response-accepted")
    assert accepted["peer"] == home and accepted["outcome"] == "ok"
    assert who.citizen_id not in str(accepted)


def test_persistent_identifier_differs_per_region_and_is_stable(cluster: Cluster) -> None:
    who = person("310000", "resident")
    subjects: dict[str, str] = {}
    for sp in ("320000", "330000", "340000", "320000"):
        session = Browser()
        try:
            page = full_login(session, cluster, sp=sp, who=who, home="310000")
            subject = page.text_of("subject")
        finally:
            session.close()
        assert subject
        if sp in subjects:
            assert subjects[sp] == subject  # persistent: the same at the same region
        subjects[sp] = subject
    assert len(set(subjects.values())) == 3  # pairwise: different at every region
