"""Uploads sent in pieces that survive a broken connection (the tus protocol's model).

An upload is started for a dataset its user may edit, with its full length.
Its bytes so far are a file under ``storage/resumable/``: the file's size is
the offset to continue from, so nothing can disagree about it. Appending
takes the file's lock (one writer at a time) and checks the offset; a
connection that breaks keeps what arrived. When every byte is there, the file
is hashed, locked and moved into the storage's temporary area as a
:class:`StagedFile`, exactly what a streamed upload becomes -- the resource
services take it from there. Unfinished uploads expire.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets import policy, repository
from datasets.models import ResumableUpload, utcnow
from datasets.policy import Principal
from datasets.storage import CHUNK, HEAD_BYTES, LocalStorage, StagedFile, safe_filename
from delta.errors import NotAuthorized, NotFound, ValidationFailed


class OffsetMismatch(ValidationFailed):
    def __init__(self, expected: int) -> None:
        super().__init__({"Upload-Offset": [f"The upload continues at byte {expected}"]})
        self.expected = expected


class Busy(ValidationFailed):
    def __init__(self) -> None:
        super().__init__({"upload": ["Another request is writing this upload"]})


class ResumableStore:
    def __init__(self, storage: LocalStorage) -> None:
        self.storage = storage
        self.root = storage.root / "resumable"
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, upload_id: str) -> Path:
        if len(upload_id) != 32 or not upload_id.isalnum():
            raise NotFound("Upload not found")
        return self.root / upload_id

    def start(
        self,
        session: Session,
        *,
        actor: Principal,
        package_ref: str,
        filename: str,
        length: int,
        max_bytes: int,
        lifetime: timedelta,
    ) -> ResumableUpload:
        if actor.is_anonymous:
            raise NotAuthorized("You must be logged in to upload files")
        package = repository.find_package(session, package_ref) if package_ref else None
        if package is None or package.state == "deleted":
            raise NotFound("Dataset not found")
        policy.require(
            actor,
            policy.Action.UPDATE,
            policy.Dataset.of(package),
            message=f"User {actor.name} not authorized to upload files here",
        )
        if length < 0:
            raise ValidationFailed.on("Upload-Length", "Must be a size in bytes")
        if length > max_bytes:
            raise ValidationFailed.on(
                "Upload-Length", f"File is larger than the upload limit of {max_bytes} bytes"
            )
        row = ResumableUpload(
            id=uuid.uuid4().hex,
            user_id=actor.user_id or "",
            package_id=package.id,
            filename=safe_filename(filename),
            length=length,
            expires_at=utcnow() + lifetime,
        )
        self._path(row.id).touch(mode=0o640, exist_ok=False)
        session.add(row)
        session.flush()
        return row

    def find(self, session: Session, *, actor: Principal, upload_id: str) -> ResumableUpload:
        """The upload, to the user who started it only, while it has not expired."""
        row = session.get(ResumableUpload, upload_id)
        if row is None or row.user_id != actor.user_id or row.expires_at <= utcnow():
            raise NotFound("Upload not found")
        return row

    def offset(self, upload_id: str) -> int:
        try:
            return self._path(upload_id).stat().st_size
        except FileNotFoundError:
            raise NotFound("Upload not found") from None

    @contextlib.contextmanager
    def appending(self, row: ResumableUpload, offset: int) -> Iterator[_Appender]:
        """Exclusive access to append at ``offset`` (which must be where the upload is)."""
        fd = os.open(self._path(row.id), os.O_WRONLY | os.O_APPEND)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy() from None
            size = os.fstat(fd).st_size
            if size != offset:
                raise OffsetMismatch(size)
            appender = _Appender(fd, size, row.length)
            try:
                yield appender
            finally:
                os.fsync(fd)  # what arrived stays, even when the connection broke
        finally:
            os.close(fd)

    def finish(self, row: ResumableUpload) -> StagedFile:
        """A complete upload as a staged file (hashed, locked) for the resource services."""
        path = self._path(row.id)
        fd = os.open(path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy() from None
            size = os.fstat(fd).st_size
            if size != row.length:
                raise ValidationFailed.on(
                    "upload_id", f"The upload is incomplete ({size} of {row.length} bytes)"
                )
            digest, head = hashlib.sha256(), b""
            with os.fdopen(os.dup(fd), "rb") as reader:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
            key = uuid.uuid4().hex
            staged_path = self.storage.tmp / f"{key}.part"
            os.replace(path, staged_path)  # the lock moves with the file
        except BaseException:
            os.close(fd)
            raise
        return StagedFile(
            key=key,
            size=size,
            sha256=digest.hexdigest(),
            head=head,
            path=staged_path,
            final_path=self.storage.path(key),
            _fd=fd,
        )

    def forget(self, session: Session, row: ResumableUpload) -> None:
        self._path(row.id).unlink(missing_ok=True)
        session.delete(row)
        session.flush()

    def sweep(self, session: Session) -> int:
        """Remove expired uploads (their files and rows)."""
        expired = session.scalars(
            select(ResumableUpload).where(ResumableUpload.expires_at <= utcnow())
        ).all()
        for row in expired:
            self.forget(session, row)
        return len(expired)


class _Appender:
    def __init__(self, fd: int, offset: int, length: int) -> None:
        self._fd = fd
        self.offset = offset
        self.length = length

    def write(self, chunk: bytes) -> None:
        if self.offset + len(chunk) > self.length:
            raise ValidationFailed.on("upload", "More bytes than the upload's length")
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.offset += len(chunk)
