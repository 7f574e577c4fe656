"""File storage for uploaded resources: a small interface and a local-disk backend.

An upload streams into a temporary ``tmp/<key>.part`` in fixed-size chunks
(constant memory), hashed as it goes, then is synced. Until the unit of work
that wants it has committed, the file stays locked (``flock`` on its open
descriptor): it is moved to ``objects/`` just before the database commit and
unlocked just after. A crash releases every lock, so sweeps can tell files
nobody decides about any more (unlocked) from files a live process is still
handling (locked) -- and a file in ``objects/`` that no resource refers to
and nobody holds is an orphan of a crash between move and commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from delta.errors import ValidationFailed

CHUNK = 1024 * 1024
HEAD_BYTES = 64 * 1024  # kept in memory for content sniffing
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_KEY = re.compile(r"[A-Za-z0-9_\-]{1,100}")
# A ".new" file is a writer between creating and locking its file; older ones are debris.
_NEW_FILE_GRACE_SECONDS = 3600


class UploadTooLarge(ValidationFailed):
    def __init__(self, limit: int) -> None:
        super().__init__({"upload": [f"File is larger than the upload limit of {limit} bytes"]})
        self.limit = limit


@dataclass
class StagedFile:
    """A complete upload under a temporary name, hashed, synced and locked."""

    key: str
    size: int
    sha256: str
    head: bytes
    path: Path
    final_path: Path
    _fd: int | None = field(default=None, repr=False)
    kept: bool = False

    def publish(self) -> None:
        """Move into place; still locked, so sweeps leave it alone until commit."""
        if self.path != self.final_path:
            self.final_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path, self.final_path)
            self.path = self.final_path

    def keep(self) -> None:
        """The database now refers to this file: release the lock, never delete it."""
        self.kept = True
        self._close()

    def discard(self) -> None:
        """Remove the file unless it was kept (safe to call more than once)."""
        if not self.kept:
            self.path.unlink(missing_ok=True)
        self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the HTTP layer hands it over: a stream, or already staged."""

    filename: str
    stream: IO[bytes] | None = None
    content_type: str | None = None
    staged: StagedFile | None = None


class UploadWriter:
    """Receives an upload chunk by chunk; :meth:`finish` gives the staged file."""

    def __init__(self, storage: LocalStorage, *, max_bytes: int) -> None:
        self.key = uuid.uuid4().hex
        self.max_bytes = max_bytes
        self.size = 0
        self._digest = hashlib.sha256()
        self._head = bytearray()
        self._storage = storage
        self._fd, self.path = storage.locked_temp_file(self.key)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise UploadTooLarge(self.max_bytes)
        self._digest.update(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def write_all(self, chunks: Iterable[bytes]) -> None:
        """Several chunks in one call, without joining them into a larger buffer."""
        for chunk in chunks:
            self.write(chunk)

    def finish(self) -> StagedFile:
        os.fsync(self._fd)
        staged = StagedFile(
            key=self.key,
            size=self.size,
            sha256=self._digest.hexdigest(),
            head=bytes(self._head),
            path=self.path,
            final_path=self._storage.path(self.key),
            _fd=self._fd,
        )
        self._fd = -1
        return staged

    def abort(self) -> None:
        if self._fd >= 0:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


class Storage(Protocol):
    def writer(self, *, max_bytes: int) -> UploadWriter: ...

    def stage(self, stream: IO[bytes], *, max_bytes: int) -> StagedFile: ...

    def open(self, key: str) -> BinaryIO: ...

    def path(self, key: str) -> Path: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def safe_filename(raw: str | None, *, default: str = "upload") -> str:
    """A file name safe to store and to echo back: no directories, no control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return default
    stem, dot, ext = name.rpartition(".")
    if len(name) > 200:
        name = (stem[: 190 - len(ext)] + dot + ext) if dot else name[:200]
    return name


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.objects = root / "objects"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.objects.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError("storage keys are ids, never paths")
        return self.objects / key[:2] / key

    def writer(self, *, max_bytes: int) -> UploadWriter:
        return UploadWriter(self, max_bytes=max_bytes)

    def stage(self, stream: IO[bytes], *, max_bytes: int) -> StagedFile:
        writer = self.writer(max_bytes=max_bytes)
        try:
            while chunk := stream.read(CHUNK):
                writer.write(chunk)
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    def locked_temp_file(self, name: str) -> tuple[int, Path]:
        """A new file ``tmp/<name>.part``, open for writing and locked before anyone can see it."""
        fresh = self.tmp / f"{name}.new"
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        fcntl.flock(fd, fcntl.LOCK_EX)
        part = self.tmp / f"{name}.part"
        os.replace(fresh, part)
        return fd, part

    @contextlib.contextmanager
    def scratch(self, suffix: str = "") -> Iterator[Path]:
        """A locked temporary file for derived data (conversions, exports), removed after use."""
        fd, path = self.locked_temp_file(uuid.uuid4().hex + suffix)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)
            os.close(fd)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def object_keys(self) -> Iterator[str]:
        for shard in self.objects.iterdir():
            if shard.is_dir():
                for entry in shard.iterdir():
                    if _KEY.fullmatch(entry.name):
                        yield entry.name

    def sweep_temporary(self) -> int:
        """Remove temporary files no live process holds (half-written uploads of a crash)."""
        removed = 0
        for leftover in self.tmp.glob("*.part"):
            removed += _remove_if_unlocked(leftover)
        cutoff = time.time() - _NEW_FILE_GRACE_SECONDS
        for fresh in self.tmp.glob("*.new"):
            with contextlib.suppress(FileNotFoundError):
                if fresh.stat().st_mtime < cutoff:
                    fresh.unlink()
                    removed += 1
        return removed

    def sweep_orphans(self, referenced: Callable[[Iterable[str]], set[str]]) -> int:
        """Remove stored files no resource refers to and no live process holds.

        ``referenced`` answers which of the given keys the database refers to; it is
        asked again under the file's lock, so a unit that commits meanwhile wins.
        """
        removed = 0
        batch: list[str] = []
        for key in self.object_keys():
            batch.append(key)
            if len(batch) == 500:
                removed += self._sweep_batch(batch, referenced)
                batch = []
        return removed + self._sweep_batch(batch, referenced)

    def _sweep_batch(self, keys: list[str], referenced: Callable[[Iterable[str]], set[str]]) -> int:
        if not keys:
            return 0
        known = referenced(keys)
        removed = 0
        for key in keys:
            if key not in known:
                removed += _remove_if_unlocked(
                    self.path(key), unless=partial(_is_known, referenced, key)
                )
        return removed


def _is_known(referenced: Callable[[Iterable[str]], set[str]], key: str) -> bool:
    return bool(referenced([key]))


def _remove_if_unlocked(path: Path, unless: Callable[[], bool] | None = None) -> int:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # a live process is still deciding about this file
        if unless is not None and unless():
            return 0
        path.unlink(missing_ok=True)
        return 1
    finally:
        os.close(fd)
