"""Recording a change to a dataset: its activity record, and its search entry to follow.

Both the dataset services and the resource services change datasets; this is
what they share, so neither has to import the other.
"""

from __future__ import annotations

import copy
from typing import Any

from datasets import activity
from datasets.dictization import STORED_FORM, package_dict, with_site_url
from datasets.models import Package, utcnow
from datasets.policy import Principal
from datasets.unit import CatalogUnit


def finish(
    unit: CatalogUnit, package: Package, *, actor: Principal, activity_type: str
) -> dict[str, Any]:
    """Record the change made to ``package``; returns the dataset as it is now."""
    stored = package_dict(package, site_url=STORED_FORM)
    activity.record(
        unit.session,
        actor=actor,
        object_id=package.id,
        activity_type=activity_type,
        data={"package": stored},
    )
    unit.changed_packages.add(package.id)
    # The caller may change what it returns; the record keeps what was stored.
    return with_site_url(copy.deepcopy(stored), unit.site_url)


def touch(unit: CatalogUnit, package: Package, *, actor: Principal) -> dict[str, Any]:
    """Record a change made below the package (a resource) on the package itself."""
    package.metadata_modified = utcnow()
    unit.session.flush()
    unit.session.refresh(package)
    return finish(unit, package, actor=actor, activity_type="changed package")
