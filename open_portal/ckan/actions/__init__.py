"""The CKAN actions. Importing this package registers all of them."""

from open_portal.ckan.actions import (
    applications,
    datastore,
    groups,
    harvest,
    packages,
    resources,
    search,
    site,
    users,
    views,
)

__all__ = [
    "applications",
    "datastore",
    "groups",
    "harvest",
    "packages",
    "resources",
    "search",
    "site",
    "users",
    "views",
]
