"""Validating a table file against its Table Schema (given, or inferred) with frictionless.

frictionless streams the rows, so memory stays flat however large the file.
An inferred schema is only a guess from the first rows: when the guess turns
out wrong later in the file (a column of numbers with a text value at row
50,000), those columns are relaxed to strings and the file is checked again,
so publishers are not told their data is invalid because we guessed badly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frictionless
from frictionless import Detector, FrictionlessException, Schema
from frictionless.formats import CsvControl
from frictionless.resources import TableResource

INFER_SAMPLE_ROWS = 10_000
# Report keys that only repeat frictionless' documentation.
_VERBOSE = ("description", "tags", "title")


@dataclass
class Outcome:
    status: str  # success, failure or error
    report: dict[str, Any]
    schema: dict[str, Any] | None = None
    csv_dialect: dict[str, Any] = field(default_factory=dict)


class SchemaProblem(Exception):
    pass


def parse_schema(given: Any) -> Schema | None:
    """The resource's ``schema`` key as a frictionless Schema (None: infer one).

    Foreign keys into other resources of the dataset are left out: one file is
    checked at a time, and frictionless needs the whole package for those.
    """
    if given in (None, "", {}):
        return None
    if isinstance(given, str):
        if given.strip().lower().startswith(("http://", "https://")):
            raise SchemaProblem("Table Schema URLs are not fetched; give the schema inline")
        try:
            given = json.loads(given)
        except ValueError:
            raise SchemaProblem("The resource's schema is not valid JSON") from None
    if not isinstance(given, dict):
        raise SchemaProblem("The resource's schema must be a Table Schema object")
    keys = given.get("foreignKeys")
    if isinstance(keys, list):
        given = {**given, "foreignKeys": [k for k in keys if _self_reference(k)]}
    try:
        return Schema.from_descriptor(given)
    except FrictionlessException as exc:
        raise SchemaProblem(f"The Table Schema is invalid: {exc.error.message}") from None


def _self_reference(key: Any) -> bool:
    reference = key.get("reference") if isinstance(key, dict) else None
    return isinstance(reference, dict) and not reference.get("resource")


def cross_resource_keys(given: Any) -> int:
    """How many foreign keys of a given schema point at other resources (not checked)."""
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            return 0
    keys = given.get("foreignKeys") if isinstance(given, dict) else None
    return sum(1 for key in keys if not _self_reference(key)) if isinstance(keys, list) else 0


def check_table(
    path: Path,
    *,
    resource_format: str,
    given_schema: Any,
    max_errors: int,
    display_name: str,
) -> Outcome:
    try:
        schema = parse_schema(given_schema)
    except SchemaProblem as exc:
        return error_outcome(str(exc))
    inferred = schema is None
    try:
        resource, report = _validate(path, resource_format, schema, max_errors)
        relaxed: list[str] = []
        if inferred and not report.valid:
            relaxed = _type_error_fields(report)
            if relaxed:
                resource, report = _validate(
                    path, resource_format, _relax(resource.schema, relaxed), max_errors
                )
    except FrictionlessException as exc:
        message = f"The file could not be read as {resource_format}: {exc.error.note}"
        return error_outcome(_scrub(message, path, display_name))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        message = f"The file could not be read as {resource_format}: {exc}"
        return error_outcome(_scrub(message, path, display_name))
    summary = _summary(report.to_descriptor(), display_name, max_errors)
    escaped_name = json.dumps(display_name, ensure_ascii=False)[1:-1]
    summary = json.loads(_scrub(json.dumps(summary, ensure_ascii=False), path, escaped_name))
    summary["schema_source"] = "inferred" if inferred else "given"
    notes = []
    if relaxed:
        notes.append(
            "The inferred types of these fields did not hold for every row, so they are "
            f"checked as strings: {', '.join(relaxed)}"
        )
    if cross_resource_keys(given_schema):
        notes.append("Foreign keys into other resources of the dataset were not checked")
    if notes:
        summary["notes"] = notes
    return Outcome(
        status="success" if report.valid else "failure",
        report=summary,
        schema=resource.schema.to_descriptor(),
        csv_dialect=_csv_dialect(path, resource_format),
    )


def error_outcome(message: str) -> Outcome:
    return Outcome(status="error", report={"valid": False, "error": message})


def _validate(
    path: Path, resource_format: str, schema: Schema | None, max_errors: int
) -> tuple[TableResource, frictionless.Report]:
    options: dict[str, Any] = {
        "path": path.name,
        "basepath": str(path.parent),
        "format": resource_format.lower(),
    }
    if resource_format != "XLSX":
        options["encoding"] = "utf-8"
    if schema is not None:
        options["schema"] = schema
    resource = TableResource(**options, detector=Detector(sample_size=INFER_SAMPLE_ROWS))
    return resource, resource.validate(limit_errors=max_errors)


def _type_error_fields(report: frictionless.Report) -> list[str]:
    names: list[str] = []
    for task in report.tasks:
        for error in task.errors:
            name = getattr(error, "field_name", None)
            if error.type in ("type-error", "constraint-error") and name and name not in names:
                names.append(name)
    return names


def _relax(schema: Schema, names: list[str]) -> Schema:
    descriptor = schema.to_descriptor()
    for raw in descriptor.get("fields", []):
        if raw.get("name") in names:
            raw["type"] = "string"
            raw.pop("format", None)
    return Schema.from_descriptor(descriptor)


def _csv_dialect(path: Path, resource_format: str) -> dict[str, Any]:
    """The CSV dialect frictionless detects (delimiter, quoting), for the loader."""
    if resource_format not in ("CSV", "TSV"):
        return {}
    sample = TableResource(
        path=path.name, basepath=str(path.parent), format=resource_format.lower(), encoding="utf-8"
    )
    with sample as opened:  # opening detects the dialect from the first rows
        dialect = opened.dialect
        control = dialect.get_control("csv") if dialect.has_control("csv") else None
        out: dict[str, Any] = {"headerRows": list(dialect.header_rows)}
        if dialect.comment_char:
            out["commentChar"] = dialect.comment_char
    if isinstance(control, CsvControl):
        out.update(
            delimiter=control.delimiter,
            quoteChar=control.quote_char,
            doubleQuote=control.double_quote,
            escapeChar=control.escape_char,
            skipInitialSpace=control.skip_initial_space,
        )
    return out


def _summary(descriptor: dict[str, Any], display_name: str, max_errors: int) -> dict[str, Any]:
    """frictionless' report without server paths, checksums of our copy, or boilerplate."""
    tasks = []
    for task in descriptor.get("tasks", []):
        stats = {k: v for k, v in task.get("stats", {}).items() if k not in ("md5", "sha256")}
        errors = [
            {k: v for k, v in error.items() if k not in _VERBOSE}
            for error in task.get("errors", [])[:max_errors]
        ]
        tasks.append(
            {
                "place": display_name,
                "valid": task.get("valid"),
                "labels": task.get("labels", []),
                "stats": stats,
                "errors": errors,
            }
        )
    return {
        "valid": descriptor.get("valid"),
        "frictionless_version": frictionless.__version__,
        "stats": descriptor.get("stats", {}),
        "errors": [e.get("message") for e in descriptor.get("errors", [])][:max_errors],
        "tasks": tasks,
    }


def _scrub(text: str, path: Path, replacement: str) -> str:
    """Messages must not reveal where files live on the server."""
    text = text.replace(str(path), replacement)
    parent = str(path.parent)
    return text.replace(parent + "/", "") if path.is_absolute() and parent != "/" else text
