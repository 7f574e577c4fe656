"""Changing many datasets at once, and removing one for good: CKAN's bulk_update_*
(the organisation page's bulk actions) and dataset_purge."""

from __future__ import annotations

from typing import Any

from datasets import packages as service
from delta.errors import ValidationFailed
from open_portal.ckan.params import as_str_list, required_str
from open_portal.ckan.registry import ActionContext, action


def _bulk(ctx: ActionContext, data: dict[str, Any], change: str) -> None:
    refs = as_str_list(data, "datasets")
    if refs is None:
        raise ValidationFailed.on("datasets", "Missing value")
    if any(len(ref) > 200 for ref in refs):
        raise ValidationFailed.on("datasets", "Each must be at most 200 characters long")
    service.bulk_update(
        ctx.unit, actor=ctx.actor, org_ref=required_str(data, "org_id"), refs=refs, change=change
    )


@action()
def bulk_update_private(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Make a list of an organization's datasets private (its editors and admins).

    :param datasets: ids (or names) of the datasets; those of other organizations are
        skipped
    :param org_id: the id or name of the owning organization
    """
    _bulk(ctx, data, "private")


@action()
def bulk_update_public(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Make a list of an organization's datasets public (its editors and admins).

    :param datasets: ids (or names) of the datasets; those of other organizations are
        skipped
    :param org_id: the id or name of the owning organization
    """
    _bulk(ctx, data, "public")


@action()
def bulk_update_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete a list of an organization's datasets (its editors and admins).

    :param datasets: ids (or names) of the datasets; those of other organizations are
        skipped
    :param org_id: the id or name of the owning organization
    """
    _bulk(ctx, data, "delete")


@action()
def dataset_purge(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Remove a dataset completely, with its resources, files and DataStore tables
    (sysadmins). This cannot be undone; ``package_delete`` only marks it deleted.
    A dataset with data-use applications cannot be purged (their audit must stay).

    :param id: the id or name of the dataset
    """
    service.purge_package(ctx.unit, actor=ctx.actor, ref=required_str(data, "id"))
