"""Publishing in the browser: create and edit datasets with the first-class fields,
upload files (resumable, with a progress bar), see the validation report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from datasets import policy
from datasets.policy import Action
from datasets.storage import Upload
from delta.errors import ValidationFailed
from open_portal.uploads import store_of
from open_portal.web import labels
from open_portal.web.actions import Act, PageError, acting, perform
from open_portal.web.forms import checked
from open_portal.web.render import visit_of
from standards import licences, regions, themes

router = APIRouter(include_in_schema=False)

FIELDS = ("name", "title", "title_en", "notes", "notes_en", "owner_org", "region_code",
          "theme", "open_class", "update_frequency", "license_id", "temporal_start",
          "temporal_end", "tag_string")  # fmt: skip
RESOURCE_FIELDS = ("name", "description", "format")


def _editor(act: Act) -> None:
    if act.user is None:
        raise PageError(403, act.visit.gettext("Please log in first."))


def _choices(act: Act) -> dict[str, Any]:
    """What the selects offer: the visitor's organisations and the code lists."""
    locale = act.visit.locale
    orgs = act.call("organization_list_for_user", {"permission": "create_dataset"})
    return {
        "organizations": [(o["name"], labels.localized(o, "title", locale)) for o in orgs],
        "regions": [(r.code, labels.region_name(r.code, locale))
                    for r in regions.gazetteer().values() if regions.is_delta_region(r.code)],
        "themes": [(t.name, labels.theme_name(t.name, locale)) for t in themes.THEMES],
        "open_classes": [(k, act.visit.gettext(v)) for k, v in labels.OPEN_CLASSES.items()],
        "frequencies": [(k, act.visit.gettext(v)) for k, v in labels.UPDATE_FREQUENCIES.items()],
        "licences": [(item.id, item.title) for item in licences.LICENCES],
    }  # fmt: skip


def _form_of(package: dict[str, Any]) -> dict[str, Any]:
    form = {key: package.get(key) or "" for key in FIELDS}
    form["owner_org"] = (package.get("organization") or {}).get("name", "")
    form["tag_string"] = ", ".join(t["name"] for t in package.get("tags", []))
    return form


def _redirect(request: Request, path: str) -> RedirectResponse:
    response = RedirectResponse(visit_of(request).url(path), status_code=303)
    visit_of(request).finish(response)
    return response


@router.get("/dataset/new")
def new_dataset_form(request: Request) -> Response:
    with acting(request) as act:
        _editor(act)
        form = {"open_class": "unconditional", "update_frequency": "yearly"}
        return act.render("dataset_form.html", {"form": form, "errors": {}, "editing": None,
                                                **_choices(act)})  # fmt: skip


@router.post("/dataset/new")
async def new_dataset(request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_save, request, fields, None)


@router.get("/dataset/{name}/edit")
def edit_dataset_form(name: str, request: Request) -> Response:
    with acting(request) as act:
        _editor(act)
        package = act.call("package_show", {"id": name})
        if not policy.can(act.actor, Action.UPDATE, policy.Dataset.from_dict(package)):
            raise PageError(403, act.visit.gettext("Only the organisation's editors may do this."))
        return act.render("dataset_form.html", {"form": _form_of(package), "errors": {},
                                                "editing": package, **_choices(act)})  # fmt: skip


@router.post("/dataset/{name}/edit")
async def edit_dataset(name: str, request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_save, request, fields, name)


def _save(request: Request, fields: dict[str, Any], name: str | None) -> Response:
    data: dict[str, Any] = {key: str(fields.get(key, "")).strip() for key in FIELDS}
    data = {key: value for key, value in data.items() if value or name is not None}
    for key in ("region_code", "theme", "update_frequency", "license_id", "temporal_start",
                "temporal_end", "title_en", "notes_en"):  # fmt: skip
        if data.get(key) == "":
            data[key] = None
    try:
        if name is None:
            saved = perform(request, "package_create", data)
        else:
            saved = perform(request, "package_patch", {**data, "id": name})
    except ValidationFailed as exc:
        with acting(request) as act:
            editing = act.call("package_show", {"id": name}) if name else None
            return act.render(
                "dataset_form.html",
                {"form": fields, "errors": exc.errors, "editing": editing, **_choices(act)},
                status=422,
            )
    return _redirect(request, f"/dataset/{saved['name']}")


# --- files -----------------------------------------------------------------------------


@router.get("/dataset/{name}/resource/new")
def upload_form(name: str, request: Request) -> Response:
    with acting(request) as act:
        _editor(act)
        package = act.call("package_show", {"id": name})
        if not policy.can(act.actor, Action.UPDATE, policy.Dataset.from_dict(package)):
            raise PageError(403, act.visit.gettext("Only the organisation's editors may do this."))
        return act.render("upload.html", {"package": package, "form": {}, "errors": {}})


@router.post("/dataset/{name}/resource/new")
async def add_resource(name: str, request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_add_resource, request, name, fields)


def _add_resource(request: Request, name: str, fields: dict[str, Any]) -> Response:
    portal = request.app.state.portal
    data: dict[str, Any] = {key: str(fields.get(key, "")).strip() for key in RESOURCE_FIELDS}
    data["package_id"] = name
    upload_id = str(fields.get("upload_id", ""))
    upload = None
    try:
        with acting(request) as act:
            _editor(act)
            store = store_of(portal)
            row = store.find(act.session, actor=act.actor, upload_id=upload_id)
            staged = store.finish(row)
            store.forget(act.session, row)
            upload = Upload(filename=row.filename, staged=staged)
        created = perform(request, "resource_create", data, uploads={"upload": upload})
    except ValidationFailed as exc:
        with acting(request) as act:
            package = act.call("package_show", {"id": name})
            return act.render(
                "upload.html", {"package": package, "form": fields, "errors": exc.errors},
                status=422,
            )  # fmt: skip
    finally:
        if upload is not None and upload.staged is not None:
            upload.staged.discard()  # nothing, once the resource keeps it
    return _redirect(request, f"/dataset/{name}/resource/{created['id']}")
