"""The node's material store: files named by their SHA-256, written once, atomically.

Content addressing makes every write idempotent (a retried transfer writes
the same name with the same bytes) and lets the deciding node check a
transferred material against the manifest by its name alone. Files are
written to a temporary name and renamed, so a crashed process never leaves a
partial file under a real name. Like the node database (SQLite WAL with
``synchronous=NORMAL``), the store survives a killed process; it does not
fsync every file, which would cost more than the rest of a delivery.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MaterialStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def put(self, data: bytes, *, sha256: str) -> None:
        """Store ``data`` under ``sha256``; refuses bytes that do not have that hash."""
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("the bytes do not match their SHA-256")
        target = self.path(sha256)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = target.with_name(f".{sha256}.{secrets.token_hex(4)}.part")
        temporary.write_bytes(data)
        os.replace(temporary, target)
