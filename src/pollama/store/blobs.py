"""Content-addressed blobs under `<models>/blobs/sha256-<hex>`.

A blob's file name is always its verified sha256: content is written to a temporary file in the
same directory, hashed while written, and renamed into place only when the digest is right.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable, Iterable
from pathlib import Path

from pollama.errors import BadRequest, NotFound
from pollama.store.oserrors import StoreWriteError

_DIGEST = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")
_BLOB_FILE = re.compile(r"^sha256-[0-9a-f]{64}$")
CHUNK = 1 << 20


def parse_digest(digest: str) -> str:
    """`sha256:<hex>` or `sha256-<hex>` -> canonical `sha256:<hex>` (lower case), else a 400."""
    match = _DIGEST.match(digest or "")
    if match is None:
        raise BadRequest("invalid digest format")
    return "sha256:" + match.group(1).lower()


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
    return "sha256:" + hasher.hexdigest()


def is_blob_name(name: str) -> bool:
    return _BLOB_FILE.match(name) is not None


class DigestMismatch(BadRequest):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f'digest mismatch, expected "{expected}", got "{got}"')
        self.expected = expected
        self.got = got


class _PendingBlob:
    """A temp file in the blobs directory that becomes a blob once its digest checks out.

    Any OSError (a full disk, most often) becomes a StoreWriteError naming the file; `discard`
    removes the temp file even when closing it fails again, as it does on a full disk."""

    def __init__(self, directory: Path) -> None:
        try:
            fd, name = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        except OSError as exc:
            raise StoreWriteError("open", directory / ".tmp-*", exc) from exc
        self.file = os.fdopen(fd, "wb")
        self.path = Path(name)
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        try:
            self.file.write(chunk)
        except OSError as exc:
            raise StoreWriteError("write", self.path, exc) from exc
        self.hasher.update(chunk)
        self.size += len(chunk)

    def digest(self) -> str:
        return "sha256:" + self.hasher.hexdigest()

    def commit(self, target: Path) -> None:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.chmod(self.path, 0o644)
            os.replace(self.path, target)
        except OSError as exc:
            raise StoreWriteError("write", self.path, exc) from exc

    def discard(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass  # the flush inside close fails again on a full disk; the file goes anyway
        self.path.unlink(missing_ok=True)


class BlobStore:
    """The `blobs/` directory of a model store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o755)
        except OSError as exc:
            raise StoreWriteError("mkdir", self.root, exc) from exc

    def path(self, digest: str) -> Path:
        return self.root / parse_digest(digest).replace(":", "-")

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def present(self, digest: str) -> bool:
        """Like `exists`, but False for a malformed digest instead of a 400."""
        try:
            return self.exists(digest)
        except BadRequest:
            return False

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f'blob "{digest}" not found') from None

    def read_bytes(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFound(f'blob "{digest}" not found') from None

    def digests(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [
            "sha256:" + p.name[len("sha256-") :]
            for p in self.root.iterdir()
            if is_blob_name(p.name)
        ]

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def write_bytes(self, data: bytes) -> str:
        """Store `data`; returns its digest (idempotent)."""
        return self.write_chunks([data])

    def write_chunks(self, chunks: Iterable[bytes], expected: str | None = None) -> str:
        self.ensure()
        pending = _PendingBlob(self.root)
        try:
            for chunk in chunks:
                pending.write(chunk)
            return self._finish(pending, expected)
        except BaseException:
            pending.discard()
            raise

    async def write_stream(self, chunks: AsyncIterable[bytes], expected: str) -> str:
        """Store an upload whose digest must be `expected`; a mismatch leaves nothing behind."""
        self.ensure()
        pending = _PendingBlob(self.root)
        try:
            async for chunk in chunks:
                pending.write(chunk)
            return self._finish(pending, expected)
        except BaseException:
            pending.discard()
            raise

    def _finish(self, pending: _PendingBlob, expected: str | None) -> str:
        digest = pending.digest()
        if expected is not None and parse_digest(expected) != digest:
            raise DigestMismatch(parse_digest(expected), digest)
        target = self.path(digest)
        if target.exists():
            pending.discard()
        else:
            pending.commit(target)
        return digest

    def import_file(self, source: Path) -> str:
        """Copy a local file into the store (hashing as it goes)."""

        def chunks() -> Iterable[bytes]:
            with open(source, "rb") as f:
                while chunk := f.read(CHUNK):
                    yield chunk

        return self.write_chunks(chunks())
