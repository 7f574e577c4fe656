"""Write packages as Frictionless Data Packages (v1): stable bytes, every run."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from standards import licences
from standards.identifiers.uscc import make_uscc

from .model import Organization, Package, Row, Table

MEDIATYPES = {"csv": "text/csv", "json": "application/json"}
# Licences without a canonical page of their own point at the Open Definition.
OPEN_DEFINITION = "https://opendefinition.org/od/2.1/en/"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [f.name for f in table.fields]
    writer.writerow(names)
    for row in table.rows:
        writer.writerow([_cell(row[name]) for name in names])
    return buffer.getvalue().encode("utf-8")


def json_bytes(table: Table) -> bytes:
    """An array of objects, one per line: tabular, and readable in a diff."""
    names = [f.name for f in table.fields]
    lines = [
        json.dumps({name: _json_value(row[name]) for name in names}, ensure_ascii=False)
        for row in table.rows
    ]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")


def table_bytes(table: Table) -> bytes:
    return csv_bytes(table) if table.format == "csv" else json_bytes(table)


def _check_rows(package: Package, table: Table) -> None:
    names = {f.name for f in table.fields}
    for number, row in enumerate(table.rows, start=1):
        if set(row) != names:
            raise ValueError(
                f"{package.name}/{table.name} row {number}: "
                f"columns {sorted(set(row) ^ names)} do not match the schema"
            )


def licence_descriptor(licence_id: str) -> dict[str, str]:
    licence = licences.get(licence_id)
    if licence is None:
        raise KeyError(f"unknown licence {licence_id}")
    return {"name": licence.id, "title": licence.title, "path": licence.url or OPEN_DEFINITION}


def resource_descriptor(table: Table, content: bytes) -> dict[str, Any]:
    # JSON tables need the optional frictionless[json] extra to be read as tables;
    # they are declared as plain data resources so `frictionless validate` passes
    # without it (tests validate their rows against the schema separately).
    profile = "tabular-data-resource" if table.format == "csv" else "data-resource"
    return {
        "profile": profile,
        "name": table.name,
        "path": table.path,
        "title": table.title,
        "description": table.description,
        "format": table.format,
        "mediatype": MEDIATYPES[table.format],
        "encoding": "utf-8",
        "bytes": len(content),
        "hash": "sha256:" + hashlib.sha256(content).hexdigest(),
        "schema": table.schema(),
    }


def package_descriptor(package: Package, contents: list[bytes]) -> dict[str, Any]:
    tabular = all(table.format == "csv" for table in package.tables)
    org = package.organization
    start, end = package.temporal
    return {
        "profile": "tabular-data-package" if tabular else "data-package",
        "name": package.name,
        "title": package.title,
        "description": package.description,
        "version": package.version,
        "created": package.created,
        "keywords": list(package.keywords),
        "licenses": [licence_descriptor(package.licence)],
        "sources": [{"title": org.title}],
        "contributors": [{"title": org.title, "role": "publisher"}],
        "catalog": {
            "organization": org.name,
            "region_code": package.region_code,
            "theme": package.theme,
            "open_class": package.open_class,
            "update_frequency": package.update_frequency,
            "title_en": package.title_en,
            "notes_en": package.notes_en,
            "temporal_start": start,
            "temporal_end": end,
        },
        "resources": [
            resource_descriptor(table, content)
            for table, content in zip(package.tables, contents, strict=True)
        ],
    }


def dump_json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_package(package: Package, root: Path) -> int:
    """Write one package directory from scratch; return the bytes written."""
    folder = root / package.name
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    contents = []
    for table in package.tables:
        _check_rows(package, table)
        content = table_bytes(table)
        (folder / table.path).write_bytes(content)
        contents.append(content)
    descriptor = dump_json(package_descriptor(package, contents))
    (folder / "datapackage.json").write_bytes(descriptor)
    return len(descriptor) + sum(len(content) for content in contents)


def write_organizations(organizations: tuple[Organization, ...], root: Path) -> None:
    rows: list[Row] = [
        {
            "name": org.name,
            "title": org.title,
            "title_en": org.title_en,
            "region_code": org.region_code,
            "description": org.description,
            "uscc": government_uscc(org.region_code, number),
        }
        for number, org in enumerate(organizations, start=1)
    ]
    (root / "organizations.json").write_bytes(dump_json(rows))


def government_uscc(region_code: str, number: int) -> str:
    """A checksum-valid code of a government body (authority 1, kind 1: 机关), clearly
    fake: the organisation code is ``DELTA`` and a serial number."""
    return make_uscc("1", "1", region_code, f"DELTA{number:04d}")


def remove_stale(root: Path, keep: set[str]) -> list[str]:
    """Drop package folders the generator no longer makes (renamed or removed)."""
    removed = []
    for descriptor in sorted(root.glob("*/datapackage.json")):
        if descriptor.parent.name not in keep:
            shutil.rmtree(descriptor.parent)
            removed.append(descriptor.parent.name)
    return removed
