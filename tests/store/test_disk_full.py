"""A full disk (issue 10 item 10): a JSON error naming what failed and where, no temp files left.

ENOSPC is injected into the files the store opens for writing (blob and manifest temp files):
their writes, flushes and closes fail as they do on a full disk, where the close's flush fails
again after a failed write.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pollama.names import Name
from pollama.server.app import create_app
from pollama.settings import Settings
from pollama.store import Store
from pollama.store.oserrors import StoreWriteError
from tests.fixtures.synthetic_gguf import write_tiny_gguf

FULL = "no space left on device"


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FullDiskFile:
    """A file object on a full disk: every write and flush fails; close closes, then fails."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, data: bytes) -> int:
        raise _enospc()

    def flush(self) -> None:
        raise _enospc()

    def fileno(self) -> int:
        return int(self._real.fileno())

    def close(self) -> None:
        if not self._real.closed:
            self._real.close()
            raise _enospc()

    def __enter__(self) -> _FullDiskFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fill_disk(patch: pytest.MonkeyPatch, models: Path) -> None:
    """Files under `models` opened with `os.fdopen` (as the store opens its temp files)
    behave as on a full disk."""
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        real = real_fdopen(fd, *args, **kwargs)
        target = os.readlink(f"/proc/self/fd/{fd}")
        return _FullDiskFile(real) if target.startswith(str(models)) else real

    patch.setattr(os, "fdopen", fdopen)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    models = tmp_path / "models"
    _fill_disk(monkeypatch, models)
    return models


def _temp_files(models: Path) -> list[Path]:
    return [p for p in models.rglob(".tmp-*")]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "models")
    s.ensure()
    return s


def test_blob_write_fails_with_the_path_and_leaves_no_temp_file(
    store: Store, full_disk: Path
) -> None:
    with pytest.raises(StoreWriteError) as failed:
        store.blobs.write_bytes(b"some layer")
    message = failed.value.message
    assert message.startswith(f"write {store.blobs.root}/.tmp-") and message.endswith(FULL)
    assert failed.value.status == 500
    assert _temp_files(full_disk) == []


def test_blob_stream_fails_and_leaves_no_temp_file(store: Store, full_disk: Path) -> None:
    import asyncio

    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"

    digest = "sha256:" + hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(StoreWriteError, match=FULL):
        asyncio.run(store.blobs.write_stream(chunks(), digest))
    assert _temp_files(full_disk) == []


def test_manifest_write_fails_and_leaves_no_temp_file(store: Store, full_disk: Path) -> None:
    with pytest.raises(StoreWriteError) as failed:
        store.manifests.write(Name.parse("m"), b"{}")
    assert failed.value.message.endswith(FULL)
    assert str(store.manifests.root) in failed.value.message
    assert _temp_files(full_disk) == []


def test_mkstemp_failure_is_reported_too(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise _enospc()

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(StoreWriteError, match=f"^open {store.blobs.root}/.tmp-\\*: {FULL}$"):
        store.blobs.write_bytes(b"x")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "models")})
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def test_blob_upload_on_a_full_disk_is_a_json_error(app: TestClient, full_disk: Path) -> None:
    data = b"uploaded weights"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    answer = app.post(f"/api/blobs/{digest}", content=data)
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error.startswith(f"write {full_disk}/blobs/.tmp-") and error.endswith(FULL)
    assert _temp_files(full_disk) == []
    assert app.head(f"/api/blobs/{digest}").status_code == 404


@pytest.mark.parametrize("stream", [False, True])
def test_create_on_a_full_disk_is_a_json_error(
    app: TestClient, tmp_path: Path, stream: bool
) -> None:
    weights = write_tiny_gguf(tmp_path / "tiny.gguf").read_bytes()
    digest = "sha256:" + hashlib.sha256(weights).hexdigest()
    assert app.post(f"/api/blobs/{digest}", content=weights).status_code == 201
    models = tmp_path / "models"
    with pytest.MonkeyPatch.context() as patch:
        _fill_disk(patch, models)
        body = {"model": "m", "files": {"tiny.gguf": digest}, "system": "hi", "stream": stream}
        answer = app.post("/api/create", json=body)
    if stream:
        assert answer.status_code == 200
        last = answer.text.strip().splitlines()[-1]
        assert last.startswith('{"error":"write ') and last.endswith(f'{FULL}"}}')
    else:
        assert answer.status_code == 500
        assert answer.json()["error"].endswith(FULL)
    assert _temp_files(models) == []
    assert app.post("/api/show", json={"model": "m"}).status_code == 404
