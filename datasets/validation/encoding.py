"""Text encodings of uploads: detect from the first bytes, convert whole files to UTF-8.

Chinese government data very often arrives as GBK/GB18030. The order is:
strict UTF-8 (with or without BOM), UTF-16 with a BOM, strict GB18030 (a
superset of GBK and GB2312), then charset-normalizer's best guess.

GB18030 decodes almost any Big5 or Shift_JIS text without an error -- into
nonsense. So when it decodes, charset-normalizer still compares it with the
other CJK encodings and may prefer one. A guess of charset-normalizer's own
is only trusted when the text it gives looks like text (little "chaos"):
otherwise the bytes are reported as unreadable rather than mis-read.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

CHUNK = 1024 * 1024
UTF8 = "utf-8"
CJK = ("gb18030", "big5", "cp932", "euc_kr")
MAX_CHAOS = 0.05


class EncodingProblem(Exception):
    """The file does not decode as the encoding it was detected as."""


def detect(head: bytes, *, complete: bool) -> str | None:
    """The encoding of a file from its first bytes, or None when it is not text.

    ``complete`` says whether ``head`` is the whole file (otherwise its last
    character may be cut in half, which must not count as an error).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig" if _decodes(head, "utf-8-sig", complete) else None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16" if _decodes(head, "utf-16", complete) else None
    if b"\x00" in head:
        return None
    if _decodes(head, UTF8, complete):
        return UTF8
    sample = head if complete else head[: head.rfind(b"\n") + 1] or head
    if _decodes(head, "gb18030", complete):
        cjk = [match.encoding for match in from_bytes(sample, cp_isolation=list(CJK))]
        return "gb18030" if "gb18030" in cjk or not cjk else cjk[0]
    best = from_bytes(sample).best()
    return best.encoding if best is not None and best.chaos <= MAX_CHAOS else None


def _decodes(data: bytes, encoding: str, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Stream ``source`` into ``target`` as UTF-8 (no BOM), refusing undecodable bytes."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with source.open("rb") as src, target.open("wb") as out:
        while True:
            chunk = src.read(CHUNK)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                position = offset + max(exc.start, 0)
                raise EncodingProblem(
                    f"The file is not valid {encoding} text: undecodable bytes near byte {position}"
                ) from None
            out.write(text.encode(UTF8))
            if final:
                return
            offset += len(chunk)
