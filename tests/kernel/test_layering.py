"""Dependency arrows run one way, checked on the source (AST), so a lazy import counts too.

* ``signing`` is a library: no database, web framework or Delta package in it.
  Storage for its replay-cache protocol lives with the database's owner
  (``interregion.replay``).
* The SSO services do not reach into the browser layer ``interregion.web``;
  only the routers (the HTTP adapters) use its request context.
* ``datasets.packages`` uses ``datasets.resources``, not the other way round.
* Every CKAN action is found by its name, and each exception class is defined once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SSO_ROUTERS = {"router_idp.py", "router_sp.py"}
# What a router may take from the web layer: the request context and the redirect check.
ROUTER_MAY_USE = {"interregion.web.context", "interregion.web.safe_next"}


def imported_modules(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names, at any depth (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def python_files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources under {package}"
    return files


def test_the_scanner_sees_lazy_and_from_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom sqlalchemy.orm import Session\n"
        "def f():\n    from interregion.web import cookies\n",
        "utf-8",
    )
    assert {"os", "sqlalchemy.orm", "interregion.web", "interregion.web.cookies"} <= (
        imported_modules(sample)
    )


@pytest.mark.parametrize("forbidden", ["sqlalchemy", "interregion", "open_portal", "delta"])
def test_signing_imports_no_storage_and_no_delta_package(forbidden: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if within(m, forbidden)
        )
        for path in python_files("signing")
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_sso_services_import_nothing_from_the_web_layer() -> None:
    offenders = {}
    for path in python_files("interregion/sso"):
        web = {m for m in imported_modules(path) if within(m, "interregion.web")}
        if path.name in SSO_ROUTERS:
            # A router may use the request context, never the cookie machinery itself.
            web = {m for m in web if not any(within(m, ok) for ok in ROUTER_MAY_USE)}
        if web:
            offenders[path.name] = sorted(web)
    assert offenders == {}


def test_datasets_resources_does_not_import_packages() -> None:
    """packages uses resources, never the other way round (they imported each other)."""
    assert not {
        m
        for m in imported_modules(ROOT / "datasets" / "resources.py")
        if within(m, "datasets.packages")
    }


def test_every_ckan_action_is_defined_under_its_own_name() -> None:
    """grep finds every action: each is a ``def <name>(`` in open_portal/ckan/actions/,
    not generated in a loop (organization_create and its kin were)."""
    from open_portal.ckan import registry

    defined = {
        node.name
        for path in python_files("open_portal/ckan/actions")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef)
    }
    actions = registry.all_actions()
    assert len(actions) > 40
    assert sorted(set(actions) - defined) == []
    assert all(spec.fn.__name__ == name for name, spec in actions.items())


def test_each_exception_class_is_defined_once() -> None:
    """SearchQueryError was defined twice; an ``except`` of one missed the other."""
    where: dict[str, list[str]] = {}
    for package in ("delta", "standards", "signing", "search", "datasets", "open_portal",
                    "interregion"):  # fmt: skip
        for path in python_files(package):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                    where.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert where["SearchQueryError"] == ["search/errors.py"]
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}
