"""Manifest files under `<models>/manifests/<host>/<namespace>/<model>/<tag>`, as
Ollama lays them out (server/modelpath.go)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pollama.errors import PollamaError
from pollama.names import Name, resolve_case
from pollama.store.manifest import Manifest
from pollama.store.oserrors import StoreWriteError


@dataclass(frozen=True)
class StoredManifest:
    """A manifest as it lies on disk: the parsed document plus what is derived from the file."""

    name: Name
    manifest: Manifest
    raw: bytes
    mtime: float

    @property
    def digest(self) -> str:
        """sha256 hex of the manifest file bytes: the model's ID in list/ps."""
        return hashlib.sha256(self.raw).hexdigest()


class ManifestStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def resolve(self, name: Name) -> Name:
        """The spelling of `name` already on disk (case-insensitive match), else `name`."""
        return resolve_case(name, self.root)

    def path(self, name: Name) -> Path:
        return self.root.joinpath(*name.manifest_parts())

    def exists(self, name: Name) -> bool:
        return self.path(self.resolve(name)).is_file()

    def get(self, name: Name) -> StoredManifest | None:
        name = self.resolve(name)
        path = self.path(name)
        try:
            raw = path.read_bytes()
            mtime = path.stat().st_mtime
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        return StoredManifest(name, Manifest.parse(raw), raw, mtime)

    def write(self, name: Name, raw: bytes) -> Name:
        """Write manifest bytes atomically; an existing differently-cased name is reused. An
        OSError (a full disk) becomes a StoreWriteError and leaves no temp file."""
        name = self.resolve(name)
        path = self.path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        except OSError as exc:
            raise StoreWriteError("open", path, exc) from exc
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreWriteError("write", tmp, exc) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def delete(self, name: Name) -> bool:
        path = self.path(self.resolve(name))
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        self._remove_empty_dirs(path.parent)
        return True

    def _remove_empty_dirs(self, directory: Path) -> None:
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    def paths(self) -> Iterator[tuple[Name, Path]]:
        """Every manifest file exactly four levels down (host/namespace/model/tag). Directories
        and files that vanish during the walk (a concurrent delete) are skipped."""
        for host in _children(self.root):
            for namespace in _children(host):
                for model in _children(namespace):
                    for path in _children(model):
                        if path.name.startswith(".") or not path.is_file():
                            continue
                        name = Name.from_parts(host.name, namespace.name, model.name, path.name)
                        if name.is_valid:
                            yield name, path

    def all(self) -> Iterator[StoredManifest]:
        """Every readable manifest; unreadable ones are skipped (see `referenced_digests`)."""
        for name, path in self.paths():
            try:
                raw = path.read_bytes()
                yield StoredManifest(name, Manifest.parse(raw), raw, path.stat().st_mtime)
            except (OSError, PollamaError):
                continue

    def referenced_digests(self) -> set[str] | None:
        """Digests used by any manifest, or None if some manifest cannot be parsed (then nothing
        may be pruned: a blob could belong to the manifest we failed to read). A manifest
        deleted since the walk listed it references nothing."""
        used: set[str] = set()
        for _, path in self.paths():
            try:
                used.update(Manifest.parse(path.read_bytes()).digests())
            except FileNotFoundError:
                continue
            except (OSError, PollamaError):
                return None
        return used


def _children(directory: Path) -> list[Path]:
    """The entries of `directory`, sorted; none if it is not (or no longer) a directory."""
    try:
        return sorted(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError, PermissionError):  # as glob skips them
        return []
