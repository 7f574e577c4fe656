"""Checks on an upload's content made before it is stored: does it match its format?

They look only at the first bytes (and, for XLSX, the ZIP directory), so they
cost nothing measurable on a 10 GB upload. The full file is read later, by
the validation worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets.storage import HEAD_BYTES, StagedFile
from datasets.validation import encoding
from datasets.validation.formats import TEXT_FORMATS
from datasets.validation.xlsx_guard import XlsxLimits, check_xlsx

# Signatures of common binary files that are never text or tables.
_MAGIC = (
    (b"%PDF", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x7fELF", "executable program"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document"),
    (b"\x1f\x8b", "gzip archive"),
)


@dataclass
class Sniffed:
    problems: list[str] = field(default_factory=list)
    encoding: str | None = None  # for text formats: detected from the first bytes


def sniff(staged: StagedFile, *, resource_format: str, xlsx: XlsxLimits) -> Sniffed:
    if resource_format == "XLSX":
        if not staged.head.startswith(b"PK\x03\x04"):
            return Sniffed([f"The file is not an XLSX workbook{_looks_like(staged.head)}"])
        return Sniffed(check_xlsx(staged.path, xlsx))
    if resource_format in TEXT_FORMATS:
        return _sniff_text(staged, resource_format)
    return Sniffed()


def _sniff_text(staged: StagedFile, resource_format: str) -> Sniffed:
    head = staged.head
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return Sniffed([f"The file is a {kind}, not {resource_format}"])
    detected = encoding.detect(head, complete=staged.size <= HEAD_BYTES)
    if detected is None:
        return Sniffed(
            [
                f"The file is not {resource_format} text in an encoding we can read "
                "(UTF-8, UTF-16 or GB18030/GBK); convert it to UTF-8 and upload it again"
            ]
        )
    if resource_format in ("JSON", "GeoJSON", "JSON-LD") and not _json_start(head, detected):
        return Sniffed(["The file is not JSON (it does not start with '[' or '{')"])
    return Sniffed(encoding=detected)


def _json_start(head: bytes, detected: str) -> bool:
    text = head[:1024].decode(detected, errors="ignore").lstrip("\ufeff \t\r\n")
    return not text or text[0] in "[{"


def _looks_like(head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return f" (it looks like a {kind})"
    return ""
