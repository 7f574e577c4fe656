"""Ready-to-copy API examples for a dataset, with this portal's real URLs.

Each one runs as copied: the tests paste them into a shell and a Python process.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from open_portal.web.labels import N_

TABULAR = {"CSV", "TSV"}


@dataclass(frozen=True)
class Example:
    key: str  # element id suffix
    title: str  # a msgid
    language: str
    code: str


def for_package(site_url: str, package: dict[str, Any]) -> list[Example]:
    site = site_url.rstrip("/")
    name = package["name"]
    show_url = f"{site}/api/3/action/package_show?id={name}"
    out = [
        Example(
            "curl", N_("curl: the dataset's metadata"), "shell", f"curl {shlex.quote(show_url)}"
        ),
        Example(
            "ckanapi",
            N_("Python with ckanapi"),
            "python",
            "from ckanapi import RemoteCKAN\n\n"
            f"portal = RemoteCKAN({site!r})\n"
            f"dataset = portal.action.package_show(id={name!r})\n"
            'print(dataset["title"], [r["url"] for r in dataset["resources"]])',
        ),
    ]
    open_data = package.get("open_class") == "unconditional"
    files = [r for r in package.get("resources", []) if r.get("url_type") == "upload"]
    if files and open_data:
        first = files[0]
        filename = first["url"].rsplit("/", 1)[-1]
        out.append(
            Example(
                "download",
                N_("curl: download a file (resumable with -C -)"),
                "shell",
                f"curl -fL -C - -o {shlex.quote(_unquoted(filename))} {shlex.quote(first['url'])}",
            )
        )
    table = next((r for r in files if (r.get("format") or "").upper() in TABULAR), None)
    if table is not None and open_data:
        separator = "\\t" if (table.get("format") or "").upper() == "TSV" else ","
        out.append(
            Example(
                "pandas",
                N_("pandas: read a table"),
                "python",
                "import pandas as pd\n\n"
                f"table = pd.read_csv({table['url']!r}, sep={separator!r})\n"
                "print(table.head())",
            )
        )
    if table is not None and table.get("datastore_active"):
        query = f"{site}/api/3/action/datastore_search?resource_id={table['id']}&limit=5"
        out.append(
            Example("datastore", N_("curl: rows from the DataStore"), "shell",
                    f"curl {shlex.quote(query)}")
        )  # fmt: skip
    return out


def _unquoted(filename: str) -> str:
    from urllib.parse import unquote

    return unquote(filename)
