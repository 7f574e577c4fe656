"""Recording a change to a dataset: its activity record, and its search entry to follow.

Both the dataset services and the resource services change datasets; this is
what they share, so neither has to import the other.
"""

from __future__ import annotations

from typing import Any

from datasets import activity
from datasets.dictization import package_dict
from datasets.models import Package, utcnow
from datasets.policy import Principal
from datasets.unit import CatalogUnit


def finish(
    unit: CatalogUnit, package: Package, *, actor: Principal, activity_type: str
) -> dict[str, Any]:
    """Record the change made to ``package``; returns the dataset as it is now."""
    result = package_dict(package, site_url=unit.site_url)
    activity.record(
        unit.session,
        actor=actor,
        object_id=package.id,
        activity_type=activity_type,
        data={"package": result},
    )
    unit.changed_packages.add(package.id)
    return result


def touch(unit: CatalogUnit, package: Package, *, actor: Principal) -> dict[str, Any]:
    """Record a change made below the package (a resource) on the package itself."""
    package.metadata_modified = utcnow()
    unit.session.flush()
    unit.session.refresh(package)
    return finish(unit, package, actor=actor, activity_type="changed package")
