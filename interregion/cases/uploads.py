"""Scanned materials: PDF, JPEG or PNG, checked by their content, size-limited, hashed.

The declared name and type are not trusted: the bytes must start like the
type they claim *and* parse as it (pypdf for PDF, Pillow for images). A PDF
with scripts or launch actions is refused, and so is anything else dressed
up as one of the three (HTML, ZIP, executables, polyglots that fail to
parse). Every refusal names its reason.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}
MAX_IMAGE_PIXELS = 40_000_000  # an A4 page at 600 dpi; decompression bombs are far larger
MAX_PDF_PAGES = 500
# Names in a PDF that run code or open things when the document is viewed.
_ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


@dataclass(frozen=True)
class UploadRefused(Exception):
    reason: str  # too-large | empty | wrong-type | disguised | malformed | active-content
    message: str
    status: int = 415

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    media_type: str
    sha256: str
    filename: str

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> str | None:
    """The type the first bytes claim (magic numbers only)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def safe_filename(name: str) -> str:
    """Something printable to show and to offer as a download name."""
    text = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in text if ch.isprintable() and ch not in '<>:"|?*;')
    return cleaned.strip(" .")[:120] or "material"


def check_upload(
    data: bytes, *, filename: str, declared_type: str | None, max_bytes: int
) -> CheckedFile:
    if len(data) > max_bytes:
        raise UploadRefused("too-large", f"a material may have at most {max_bytes} bytes", 413)
    if not data:
        raise UploadRefused("empty", "the file is empty", 422)
    kind = sniff(data)
    if kind is None:
        raise UploadRefused("wrong-type", "only PDF, JPEG and PNG scans are accepted")
    name = safe_filename(filename)
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if declared and declared not in ("application/octet-stream", kind):
        raise UploadRefused("disguised", f"declared as {declared[:40]} but the content is {kind}")
    if "." in name and not name.lower().endswith(EXTENSIONS[kind]):
        raise UploadRefused(
            "disguised", f"the name says {name.rsplit('.', 1)[-1][:10]!r}, the content is {kind}"
        )
    if kind == PDF:
        _check_pdf(data)
    else:
        _check_image(data, kind)
    return CheckedFile(data, kind, hashlib.sha256(data).hexdigest(), name)


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise UploadRefused("malformed", "the PDF ends early (no %%EOF)", 422)
    if _ACTIVE_PDF.search(data):
        raise UploadRefused(
            "active-content", "PDFs with scripts, launch actions or attachments are refused", 422
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise UploadRefused("malformed", "encrypted PDFs cannot be checked", 422)
            pages = len(reader.pages)
    except UploadRefused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise UploadRefused(
            "malformed", f"the PDF does not parse ({type(error).__name__})", 422
        ) from None
    if not 0 < pages <= MAX_PDF_PAGES:
        raise UploadRefused("malformed", f"a PDF with {pages} pages", 422)


def _check_image(data: bytes, kind: str) -> None:
    expected = "JPEG" if kind == JPEG else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise UploadRefused("too-large", "the image has too many pixels", 413)
                image.verify()
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                image.load()  # verify() skips the pixel data; a truncated scan fails here
    except UploadRefused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise UploadRefused(
            "malformed", f"the {expected} does not decode ({type(error).__name__})", 422
        ) from None
