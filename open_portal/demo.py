"""The demo: a sysadmin, the theme groups and the bundled sample catalog.

Loading goes through the same services as the API (validation, storage,
activity, search index), and is idempotent: what exists is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
from datasets import groups, packages, repository
from datasets import resources as resource_service
from datasets.fields import FIRST_CLASS
from datasets.policy import Principal
from datasets.storage import Upload
from delta.settings import Settings
from open_portal.accounts import service as accounts
from open_portal.runtime import Portal
from standards import themes

DEMO_ADMIN = "admin"
DEMO_ADMIN_EMAIL = "admin@delta.example"
DEMO_ADMIN_PASSWORD = "delta-admin-demo"  # noqa: S105  (development only; see admin_password)
DEMO_TOKEN_NAME = "demo-serve"  # noqa: S105  (a label, not a secret)


@dataclass
class LoadReport:
    organizations: int = 0
    groups: int = 0
    datasets: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def samples_root() -> Path:
    return Path(datasets.__file__).parent / "samples"


def sample_packages() -> Iterator[Path]:
    for entry in sorted(samples_root().iterdir(), key=lambda e: e.name):
        if entry.is_dir() and entry.joinpath("datapackage.json").is_file():
            yield entry


def admin_password(settings: Settings, given: str | None) -> str:
    if given:
        return given
    if settings.env != "development":
        raise ValueError("outside development, give the demo admin a password (--admin-password)")
    return DEMO_ADMIN_PASSWORD


def ensure_admin(portal: Portal, *, password: str) -> tuple[str, bool]:
    """The demo sysadmin's id, and whether it was created now (i.e. first start)."""
    with portal.unit_of_work() as unit:
        user = accounts.find_user(unit.session, DEMO_ADMIN)
        if user is not None:
            return user.id, False
        user = accounts.create_user(
            unit.session,
            name=DEMO_ADMIN,
            email=DEMO_ADMIN_EMAIL,
            password=password,
            fullname="Demo Administrator",
            sysadmin=True,
        )
        return user.id, True


def fresh_token(portal: Portal, *, name: str = DEMO_TOKEN_NAME) -> str:
    """A new token for the demo admin; earlier tokens of the same name are revoked."""
    with portal.unit_of_work() as unit:
        user = accounts.find_user(unit.session, DEMO_ADMIN)
        if user is None:
            raise LookupError("the demo admin does not exist; run `delta demo load` first")
        accounts.revoke_tokens(unit.session, user=user, name=name)
        _, token = accounts.create_token(unit.session, user=user, name=name)
        return token


def load(
    portal: Portal, *, password: str, progress: Callable[[str], None] | None = None
) -> LoadReport:
    admin_id, _ = ensure_admin(portal, password=password)
    actor = Principal(user_id=admin_id, name=DEMO_ADMIN, sysadmin=True)
    report = LoadReport()
    _load_theme_groups(portal, actor, report)
    _load_organizations(portal, actor, report)
    for entry in sample_packages():
        if progress:
            progress(entry.name)
        _load_package(portal, actor, entry, report)
    return report


def _load_theme_groups(portal: Portal, actor: Principal, report: LoadReport) -> None:
    for theme in themes.THEMES:
        with portal.unit_of_work() as unit:
            if repository.find_group(unit.session, theme.slug, organization=False):
                continue
            groups.create_group(
                unit,
                actor=actor,
                organization=False,
                data={"name": theme.slug, "title": theme.name, "title_en": theme.name_en,
                      "description": f"{theme.name}主题的公共数据 / {theme.name_en}"},
            )  # fmt: skip
            report.groups += 1


def _load_organizations(portal: Portal, actor: Principal, report: LoadReport) -> None:
    rows = json.loads(samples_root().joinpath("organizations.json").read_text("utf-8"))
    for row in rows:
        with portal.unit_of_work() as unit:
            if repository.find_group(unit.session, row["name"], organization=True):
                continue
            org = groups.create_group(unit, actor=actor, organization=True, data=row)
            accounts.set_member(
                unit.session, group=org, user_ref=actor.user_id or "", capacity="admin"
            )
            report.organizations += 1


def _load_package(portal: Portal, actor: Principal, entry: Path, report: LoadReport) -> None:
    descriptor = json.loads(entry.joinpath("datapackage.json").read_text("utf-8"))
    with portal.unit_of_work() as unit:
        if repository.find_package(unit.session, descriptor["name"]):
            report.skipped += 1
            return
        created = packages.create_package(unit, actor=actor, data=package_data(descriptor))
        for resource in descriptor.get("resources", []):
            with entry.joinpath(resource["path"]).open("rb") as stream:
                resource_service.create_resource(
                    unit,
                    actor=actor,
                    data=resource_data(created["id"], resource),
                    upload=Upload(
                        filename=resource["path"].rsplit("/", 1)[-1],
                        stream=stream,
                        content_type=resource.get("mediatype"),
                    ),
                )
        report.datasets += 1


def package_data(descriptor: dict[str, Any]) -> dict[str, Any]:
    """A Frictionless descriptor with our ``catalog`` block, as a package_create dict."""
    catalog = descriptor.get("catalog", {})
    licence = (descriptor.get("licenses") or [{}])[0]
    theme = themes.BY_NAME.get(catalog.get("theme", ""))
    return {
        "name": descriptor["name"],
        "title": descriptor.get("title", descriptor["name"]),
        "notes": descriptor.get("description", ""),
        "version": descriptor.get("version"),
        "license_id": licence.get("name"),
        "owner_org": catalog["organization"],
        "author": (descriptor.get("sources") or [{}])[0].get("title"),
        "tags": [{"name": keyword} for keyword in descriptor.get("keywords", [])],
        "groups": [{"name": theme.slug}] if theme else [],
        # The catalog block carries exactly the first-class dataset fields.
        **{key: catalog.get(key) for key in FIRST_CLASS},
    }


def resource_data(package_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "package_id": package_id,
        "name": resource.get("title") or resource.get("name"),
        "description": resource.get("description", ""),
        "format": resource.get("format", ""),
        "mimetype": resource.get("mediatype"),
    }
    if "schema" in resource:
        data["schema"] = resource["schema"]
    return data


def is_loaded(portal: Portal) -> bool:
    """True once every sample dataset is in the catalog."""
    names = [entry.name for entry in sample_packages()]
    with portal.sessions() as session:
        return all(repository.find_package(session, name) is not None for name in names)
