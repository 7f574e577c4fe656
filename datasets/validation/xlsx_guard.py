"""Refusing XLSX zip bombs before openpyxl (or anything else) inflates a byte.

Only the ZIP central directory is read. Python's zipfile never inflates a
member past the size the directory declares, so checking declared sizes is
enough for every reader built on it (openpyxl and frictionless are).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_MEMBERS = 10_000
# Small members compress extremely well legitimately (empty sheets, styles).
RATIO_CHECK_ABOVE = 16 * 1024 * 1024
REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")


@dataclass(frozen=True)
class XlsxLimits:
    max_uncompressed_bytes: int
    max_ratio: int


def check_xlsx(path: Path, limits: XlsxLimits) -> list[str]:
    """Problems that make the file unsafe or not a workbook; empty when it is fine."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return ["The file is not a valid XLSX workbook (it is not a readable ZIP archive)"]
    if len(members) > MAX_MEMBERS:
        return [f"The XLSX archive has more than {MAX_MEMBERS} parts"]
    names = {member.filename for member in members}
    if not all(name in names for name in REQUIRED_MEMBERS):
        return ["The ZIP archive is not an XLSX workbook (xl/workbook.xml is missing)"]
    total = 0
    for member in members:
        total += member.file_size
        if total > limits.max_uncompressed_bytes:
            return [
                "The XLSX workbook would inflate to more than "
                f"{limits.max_uncompressed_bytes} bytes; refusing it as a possible zip bomb"
            ]
        if member.file_size > RATIO_CHECK_ABOVE and (
            member.file_size > limits.max_ratio * max(member.compress_size, 1)
        ):
            return [
                f"The XLSX part {member.filename[:100]!r} is compressed more than "
                f"{limits.max_ratio}:1; refusing it as a possible zip bomb"
            ]
    return []
