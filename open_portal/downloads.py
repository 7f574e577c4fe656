"""Downloads of uploaded resource files (the open classes decide who may have them)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from datasets import packages, repository
from delta.errors import NotAuthorized, NotFound
from open_portal.accounts import service as accounts
from open_portal.accounts.tokens import from_header
from open_portal.runtime import Portal
from standards.open_classes import OpenClass

router = APIRouter()


@router.get("/dataset/{package_id}/resource/{resource_id}/download/{filename}")
async def download(package_id: str, resource_id: str, filename: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    token = from_header(request.headers.get("authorization")) or from_header(
        request.headers.get("x-ckan-api-key")
    )
    path, name, mimetype = await run_in_threadpool(_locate, portal, package_id, resource_id, token)
    return FileResponse(
        path,
        media_type=mimetype or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def _locate(
    portal: Portal, package_id: str, resource_id: str, token: str | None
) -> tuple[str, str, str | None]:
    with portal.unit_of_work() as unit:
        user = accounts.user_for_token(unit.session, token) if token else None
        actor = accounts.principal_for(unit.session, user)
        package = packages.get_readable_package(unit, actor=actor, ref=package_id)
        resource = repository.find_resource(unit.session, resource_id)
        if resource is None or resource.package_id != package.id:
            raise NotFound("Resource not found")
        if package.open_class == OpenClass.CONDITIONAL and not actor.is_member_of(
            package.owner_org
        ):
            raise NotAuthorized("This dataset is conditionally open: apply for data use first")
        if resource.url_type != "upload" or not resource.storage_key:
            raise NotFound("This resource is a link, not an uploaded file")
        if not portal.storage.exists(resource.storage_key):
            raise NotFound("The file of this resource is missing")
        return str(portal.storage.path(resource.storage_key)), resource.url, resource.mimetype
