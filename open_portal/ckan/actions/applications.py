"""Data-use application actions (conditionally open datasets), in CKAN's style."""

from __future__ import annotations

from typing import Any

from open_portal.applications import service
from open_portal.ckan.params import as_int, optional_str, required_str
from open_portal.ckan.registry import ActionContext, action


@action()
def data_application_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Apply to use a conditionally open dataset's data.

    :param package_id: the id or name of the dataset
    :param purpose: why you need the data (at least 10 characters)
    :param applicant_organization: the organisation you apply for
    :param intended_use: what you will do with the data
    :param agreement_accepted: ``true``: you accept the data-use agreement
    """
    application = service.submit(ctx.session, actor=ctx.actor, data=data)
    return service.application_dict(ctx.session, application, with_events=True)


@action(side_effect_free=True)
def data_application_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return an application with its audit trail (to the applicant and the reviewers).

    :param id: the application id
    """
    application = service.show(ctx.session, actor=ctx.actor, application_id=required_str(data))
    return service.application_dict(ctx.session, application, with_events=True)


@action(side_effect_free=True)
def data_application_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """List the applications you made or review, newest first.

    :param package_id: only for this dataset (optional)
    :param state: pending, approved, rejected, revoked, expired or active (optional)
    :param limit: (optional, default 100, at most 1000); :param offset: (optional)
    """
    rows = service.listing(
        ctx.session,
        actor=ctx.actor,
        package_ref=optional_str(data, "package_id", max_len=200),
        state=optional_str(data, "state", max_len=20),
        limit=as_int(data, "limit", 100, minimum=1, maximum=1000) or 100,
        offset=as_int(data, "offset", 0) or 0,
    )
    return [service.application_dict(ctx.session, row) for row in rows]


@action()
def data_application_decide(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Approve or reject a pending application (an admin or editor of the dataset's
    organisation, never the applicant).

    :param id: the application id
    :param decision: ``approve`` or ``reject``
    :param reason: why (optional to approve, required to reject)
    :param expires_at: when an approval ends (ISO 8601; optional)
    :param grant_days: or how many days it lasts (optional; default from the settings)
    """
    settings = ctx.portal.settings
    application = service.decide(
        ctx.session,
        actor=ctx.actor,
        application_id=required_str(data),
        decision=required_str(data, "decision").lower(),
        reason=optional_str(data, "reason", max_len=service.MAX_TEXT),
        expires_at=service.parse_expiry(data.get("expires_at")),
        grant_days=as_int(data, "grant_days", None, minimum=1),
        default_days=settings.application_grant_days,
        max_days=settings.application_max_grant_days,
    )
    return service.application_dict(ctx.session, application, with_events=True)


@action()
def data_application_revoke(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Revoke an approved application's grant.

    :param id: the application id
    :param reason: why (required)
    """
    application = service.revoke(
        ctx.session,
        actor=ctx.actor,
        application_id=required_str(data),
        reason=optional_str(data, "reason", max_len=service.MAX_TEXT),
    )
    return service.application_dict(ctx.session, application, with_events=True)
