"""The CKAN actions. Importing this package registers all of them."""

from open_portal.ckan.actions import groups, packages, resources, site, users

__all__ = ["groups", "packages", "resources", "site", "users"]
