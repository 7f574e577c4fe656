"""The CKAN actions. Importing this package registers all of them."""

from open_portal.ckan.actions import (
    applications,
    autocomplete,
    bulk,
    collaborators,
    datastore,
    groups,
    harvest,
    members,
    packages,
    resources,
    search,
    site,
    users,
    views,
)

__all__ = [
    "applications",
    "autocomplete",
    "bulk",
    "collaborators",
    "datastore",
    "groups",
    "harvest",
    "members",
    "packages",
    "resources",
    "search",
    "site",
    "users",
    "views",
]
