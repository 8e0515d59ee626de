"""A store laid out by Ollama (built by hand: blobs, manifests, the config blob) is read as it
is."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import pytest

from tests.conftest import RunningServer, start_server, stop_server
from tests.fixtures.synthetic_gguf import write_tiny_gguf

pytestmark = pytest.mark.e2e


def _blob(blobs: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (blobs / f"sha256-{digest}").write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def build_ollama_store(root: Path) -> dict[str, str]:
    """Two models as Ollama writes them; returns name -> manifest sha256 hex."""
    blobs = root / "blobs"
    blobs.mkdir(parents=True)
    gguf = write_tiny_gguf(root.parent / "tiny.gguf", arch="llama")
    model = {"mediaType": "application/vnd.ollama.image.model", **_blob(blobs, gguf.read_bytes())}
    template = {
        "mediaType": "application/vnd.ollama.image.template",
        **_blob(blobs, b"{{ if .System }}<|system|>{{ .System }}{{ end }}{{ .Prompt }}"),
    }
    params = {
        "mediaType": "application/vnd.ollama.image.params",
        **_blob(blobs, b'{"stop":["<|end|>"],"temperature":0.7}'),
    }
    system = {
        "mediaType": "application/vnd.ollama.image.system",
        **_blob(blobs, b"You are a fixture."),
    }
    license_ = {
        "mediaType": "application/vnd.ollama.image.license",
        **_blob(blobs, b"MIT\nsecond line\nthird line"),
    }
    config_doc = {
        "model_format": "gguf",
        "model_family": "llama",
        "model_families": ["llama"],
        "model_type": "1.2B",
        "file_type": "Q4_K_M",
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    config = {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        **_blob(blobs, json.dumps(config_doc).encode()),
    }
    digests = {}
    for parts, layers in (
        (
            ("registry.ollama.ai", "library", "fixture", "latest"),
            [model, template, params, system, license_],
        ),
        (("hf.co", "someone", "Fixture-GGUF", "Q4_K_M"), [model, template]),
    ):
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config,
            "layers": layers,
        }
        raw = json.dumps(manifest, indent=2).encode()  # pulled manifests keep the registry's bytes
        path = root / "manifests" / Path(*parts)
        path.parent.mkdir(parents=True)
        path.write_bytes(raw)
        digests["/".join(parts)] = hashlib.sha256(raw).hexdigest()
    return digests


@pytest.fixture(scope="module")
def ollama_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    root = tmp_path_factory.mktemp("ollama-store")
    models = root / "models"
    digests = build_ollama_store(models)
    running = start_server(root, {"OLLAMA_MODELS": str(models)})
    try:
        yield running, digests
    finally:
        stop_server(running.process)


def test_lists_ollama_models(ollama_store: tuple[RunningServer, dict[str, str]]) -> None:
    server, digests = ollama_store
    listed = {m.model: m for m in ollama.Client(host=server.url).list().models}
    assert set(listed) == {"fixture:latest", "hf.co/someone/Fixture-GGUF:Q4_K_M"}
    fixture = listed["fixture:latest"]
    assert fixture.digest == digests["registry.ollama.ai/library/fixture/latest"]
    assert fixture.details.family == "llama"
    assert fixture.details.parameter_size == "1.2B"
    assert fixture.details.quantization_level == "Q4_K_M"


def test_shows_ollama_model(ollama_store: tuple[RunningServer, dict[str, str]]) -> None:
    server, _ = ollama_store
    client = ollama.Client(host=server.url)
    shown = client.show("Fixture")  # names resolve case-insensitively
    raw = httpx.post(f"{server.url}/api/show", json={"model": "fixture"}).json()
    assert raw["system"] == "You are a fixture."
    assert shown.template == "{{ if .System }}<|system|>{{ .System }}{{ end }}{{ .Prompt }}"
    assert shown.license == "MIT\nsecond line\nthird line"
    assert "temperature" in (shown.parameters or "")
    assert shown.modelinfo is not None
    hf = client.show("hf.co/someone/fixture-gguf:q4_k_m")
    assert hf.details.family == "llama"


def test_start_does_not_prune_referenced_blobs(
    ollama_store: tuple[RunningServer, dict[str, str]],
) -> None:
    server, _ = ollama_store
    blobs = list((server.models / "blobs").iterdir())
    assert len(blobs) == 6
