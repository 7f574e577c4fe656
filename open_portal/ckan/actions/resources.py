"""Resource actions; ``upload`` arrives as a multipart file part."""

from __future__ import annotations

from typing import Any

from datasets import resources as service
from open_portal.applications import disclosure
from open_portal.ckan.params import required_str
from open_portal.ckan.registry import ActionContext, action


def _disclosed(ctx: ActionContext, resource: dict[str, Any]) -> dict[str, Any]:
    """A conditional dataset's real link URL only for callers who may have the data."""
    return disclosure.resource_for(ctx.session, ctx.actor, ctx.unit.site_url, resource)


@action(side_effect_free=True)
def resource_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a resource.

    :param id: the resource id
    """
    shown = service.show_resource(ctx.unit, actor=ctx.actor, ref=required_str(data, "id"))
    return _disclosed(ctx, shown)


@action()
def resource_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Add a resource to a dataset: a link (``url``) or a file (multipart ``upload``).

    :param package_id: the id or name of the dataset
    """
    created = service.create_resource(
        ctx.unit, actor=ctx.actor, data=data, upload=ctx.uploads.get("upload")
    )
    return _disclosed(ctx, created)


@action()
def resource_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Replace a resource's fields (and, with ``upload``, its file).

    :param id: the resource id
    """
    updated = service.update_resource(
        ctx.unit, actor=ctx.actor, data=data, upload=ctx.uploads.get("upload")
    )
    return _disclosed(ctx, updated)


@action()
def resource_patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update only the given fields of a resource (and, with ``upload``, its file).

    :param id: the resource id
    """
    updated = service.update_resource(
        ctx.unit, actor=ctx.actor, data=data, upload=ctx.uploads.get("upload"), patch=True
    )
    return _disclosed(ctx, updated)


@action()
def resource_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete a resource.

    :param id: the resource id
    """
    service.delete_resource(ctx.unit, actor=ctx.actor, ref=required_str(data, "id"))
