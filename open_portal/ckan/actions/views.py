"""Resource view actions (previews and charts), with CKAN's parameters and errors."""

from __future__ import annotations

import json
from typing import Any

from datasets import views as service
from delta.errors import ValidationFailed
from open_portal.ckan.registry import ActionContext, action


def _order(data: dict[str, Any]) -> dict[str, Any]:
    order = data.get("order")
    if isinstance(order, str):  # a GET-style or form value: a JSON list
        try:
            data = {**data, "order": json.loads(order)}
        except ValueError:
            raise ValidationFailed.on("order", "Must be a list of view ids") from None
    return data


@action()
def resource_view_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create a view of a resource.

    :param resource_id: the resource
    :param title: the view's title
    :param description: (optional)
    :param view_type: ``datatables_view`` (table), ``chart_view`` (``chart_type`` line or
        bar, ``x`` and optional ``y`` fields, ``aggregate`` count, sum or avg) or
        ``map_view`` (``region_field``, optional ``y`` and ``aggregate``)
    :param config: the view type's keys as a dict (they may also be given at the top level)
    """
    return service.create(ctx.unit, actor=ctx.actor, data=data)


@action(side_effect_free=True)
def resource_view_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a resource view.

    :param id: the view's id
    """
    return service.show(ctx.unit, actor=ctx.actor, ref=data.get("id"))


@action(side_effect_free=True)
def resource_view_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a resource's views, in their order.

    :param id: the resource's id
    """
    return service.listing(ctx.unit, actor=ctx.actor, resource_ref=data.get("id"))


@action()
def resource_view_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Replace a view's title, description and configuration.

    :param id: the view's id (the other parameters as for ``resource_view_create``)
    """
    return service.update(ctx.unit, actor=ctx.actor, data=data)


@action()
def resource_view_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Delete a resource view.

    :param id: the view's id
    """
    service.delete(ctx.unit, actor=ctx.actor, ref=data.get("id"))


@action()
def resource_view_reorder(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Set the order of a resource's views.

    :param id: the resource's id
    :param order: the view ids, first to last (views not named follow)
    """
    return service.reorder(ctx.unit, actor=ctx.actor, data=_order(data))
