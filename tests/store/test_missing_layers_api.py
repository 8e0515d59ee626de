"""Models that cannot load, through the app in process (issue 10 items 11 and 12).

- A manifest whose blobs are missing (copied by hand without them) is "not found" for show and
  for every request that would run it, as Ollama answers (its lookup fails with ErrNotExist).
- A GGUF llama.cpp cannot load (no tensors, no architecture...) is refused at create with a 400
  naming what is missing, instead of failing at its first load.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pollama.errors import PollamaError
from pollama.scheduler import Scheduler
from pollama.server.app import create_app
from pollama.settings import Settings
from tests.fixtures.synthetic_gguf import write_tiny_gguf


async def _no_runner(spec: Any) -> Any:
    raise PollamaError("this test starts no runner")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "models")})
    scheduler = Scheduler(settings, _no_runner, fits=lambda spec: True)
    with TestClient(create_app(settings, scheduler=scheduler), base_url="http://127.0.0.1") as c:
        yield c


def _upload(app: TestClient, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert app.post(f"/api/blobs/{digest}", content=data).status_code in (200, 201)
    return digest


def _create(app: TestClient, tmp_path: Path, name: str, **extra: Any) -> dict[str, str]:
    """Create `name` from a tiny GGUF; returns its layers' digests by media type suffix."""
    digest = _upload(app, write_tiny_gguf(tmp_path / "tiny.gguf").read_bytes())
    body = {"model": name, "files": {"tiny.gguf": digest}, "stream": False, **extra}
    answer = app.post("/api/create", json=body)
    assert answer.status_code == 200, answer.text
    manifest = (
        tmp_path / "models/manifests/registry.ollama.ai/library" / name / "latest"
    ).read_text()
    import json

    doc = json.loads(manifest)
    layers = {layer["mediaType"].rsplit(".", 1)[-1]: layer["digest"] for layer in doc["layers"]}
    return {**layers, "config": doc["config"]["digest"]}


def _remove_blob(tmp_path: Path, digest: str) -> None:
    (tmp_path / "models" / "blobs" / digest.replace(":", "-")).unlink()


@pytest.mark.parametrize("layer", ["model", "config", "system"])
def test_a_model_with_a_missing_blob_is_not_found(
    app: TestClient, tmp_path: Path, layer: str
) -> None:
    digests = _create(app, tmp_path, "broken", system="be brief")
    assert app.post("/api/show", json={"model": "broken"}).status_code == 200
    _remove_blob(tmp_path, digests[layer])

    show = app.post("/api/show", json={"model": "broken"})
    assert (show.status_code, show.json()) == (404, {"error": "model 'broken:latest' not found"})
    for path, body in [
        ("/api/generate", {"model": "broken", "prompt": "hi"}),
        ("/api/chat", {"model": "broken", "messages": [{"role": "user", "content": "hi"}]}),
    ]:
        answer = app.post(path, json=body)
        assert (answer.status_code, answer.json()) == (404, {"error": "model 'broken' not found"})
    embed = app.post("/api/embed", json={"model": "broken", "input": "hi"})
    assert embed.status_code == 404
    assert embed.json() == {"error": 'model "broken" not found, try pulling it first'}
    # It is still listed and can be deleted (with whatever blobs it still has).
    assert app.request("DELETE", "/api/delete", json={"model": "broken"}).status_code == 200


def test_create_from_a_model_with_missing_blobs_is_refused(app: TestClient, tmp_path: Path) -> None:
    digests = _create(app, tmp_path, "base")
    _remove_blob(tmp_path, digests["model"])
    answer = app.post("/api/create", json={"model": "child", "from": "base", "stream": False})
    assert answer.status_code == 404
    assert answer.json() == {"error": "model 'base' not found"}


def _empty_gguf() -> bytes:
    """The 24-byte GGUF: magic, version 3, no tensors, no metadata."""
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 0)


def test_a_gguf_without_tensors_or_metadata_is_refused_at_create(app: TestClient) -> None:
    digest = _upload(app, _empty_gguf())
    answer = app.post("/api/create", json={"model": "empty", "files": {"e.gguf": digest}})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "e.gguf: not a GGUF model pollama can load: no tensors; "
        "missing general.architecture, tokenizer.ggml.model"
    }
    assert app.post("/api/show", json={"model": "empty"}).status_code == 404


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"n_tensors": 0}, "no tensors"),
        ({"extra_kv": {"llama.block_count": None}}, "missing llama.block_count"),
        ({"extra_kv": {"llama.context_length": None}}, "missing llama.context_length"),
        ({"extra_kv": {"llama.embedding_length": None}}, "missing llama.embedding_length"),
        ({"extra_kv": {"tokenizer.ggml.model": None}}, "missing tokenizer.ggml.model"),
    ],
)
def test_a_gguf_missing_what_a_load_needs_is_refused(
    app: TestClient, tmp_path: Path, kwargs: dict[str, Any], problem: str
) -> None:
    digest = _upload(app, write_tiny_gguf(tmp_path / "t.gguf", **kwargs).read_bytes())
    answer = app.post("/api/create", json={"model": "t", "files": {"t.gguf": digest}})
    assert answer.status_code == 400
    assert answer.json()["error"] == f"t.gguf: not a GGUF model pollama can load: {problem}"
