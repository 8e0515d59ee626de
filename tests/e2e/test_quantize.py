"""`create --quantize` through a real server: the official client, the CLI, Ollama's refusals,
and a quantize process that dies without taking the server with it."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import ollama
import pytest

from pollama.quantize.types import WRONG_SOURCE
from tests.conftest import RunningServer, processes
from tests.fixtures.float_gguf import gemma_float_gguf
from tests.fixtures.models import gemma_gguf_path

pytestmark = pytest.mark.e2e

PROGRESS_DIGEST = "0000000000000000000"


@pytest.fixture(scope="module")
def client(server: RunningServer) -> ollama.Client:
    return ollama.Client(host=server.url)


@pytest.fixture(scope="module")
def f16(client: ollama.Client) -> tuple[str, str]:
    """The dequantized F16 gemma, uploaded: (file name, digest)."""
    path = gemma_float_gguf("F16")
    return path.name, client.create_blob(path)


def _model_layer(server: RunningServer, name: str) -> dict[str, object]:
    manifest = server.models / "manifests/registry.ollama.ai/library" / name / "latest"
    layers = json.loads(manifest.read_text())["layers"]
    (layer,) = [x for x in layers if x["mediaType"] == "application/vnd.ollama.image.model"]
    return dict(layer)


def test_q4_k_m_with_progress_then_it_answers(
    client: ollama.Client, server: RunningServer, f16: tuple[str, str]
) -> None:
    filename, digest = f16
    events = list(
        client.create(model="gemma-q4", files={filename: digest}, quantize="q4_K_M", stream=True)
    )
    statuses = [e.status for e in events]
    assert statuses[0] == "parsing GGUF" and statuses[-1] == "success"
    progress = [e for e in events if e.status == "quantizing F16 model to Q4_K_M"]
    size = gemma_float_gguf("F16").stat().st_size
    assert len(progress) > 100  # one per tensor
    assert {(e.digest, e.total) for e in progress} == {(PROGRESS_DIGEST, size)}
    completed = [e.completed or 0 for e in progress]
    assert completed == sorted(completed) and completed[0] == 0 and completed[-1] == size

    show = client.show("gemma-q4")
    assert show.details is not None and show.details.quantization_level == "Q4_K_M"
    assert show.modelinfo is not None and show.modelinfo["general.file_type"] == 15
    layer = _model_layer(server, "gemma-q4")
    assert layer["digest"] != digest  # the F16 weights are not kept
    assert not list(server.models.joinpath("blobs").glob(".tmp-*"))
    answer = client.generate(
        "gemma-q4",
        "The capital of France is",
        raw=True,
        options={"num_predict": 4, "temperature": 0},
    )
    assert (answer.response or "").strip() and answer.eval_count


def test_q8_0_from_an_f32_source_answers(client: ollama.Client) -> None:
    """F32 weights quantize too (Ollama accepts F16 and F32 sources)."""
    path = gemma_float_gguf("F32")
    events = list(
        client.create(
            model="gemma-f32-q8",
            files={path.name: client.create_blob(path)},
            quantize="Q8_0",
            stream=True,
        )
    )
    assert "quantizing F32 model to Q8_0" in {e.status for e in events}
    assert events[-1].status == "success"
    show = client.show("gemma-f32-q8")
    assert show.details is not None and show.details.quantization_level == "Q8_0"
    answer = client.generate(
        "gemma-f32-q8",
        "The capital of France is",
        raw=True,
        options={"num_predict": 4, "temperature": 0},
    )
    assert (answer.response or "").strip() and answer.eval_count
    client.delete("gemma-f32-q8")


def test_q8_0_from_the_cli(server: RunningServer, tmp_path: Path) -> None:
    modelfile = tmp_path / "Modelfile"
    modelfile.write_text(f"FROM {gemma_float_gguf('F16')}\n")
    result = server.cli("create", "gemma-q8", "-f", str(modelfile), "-q", "q8_0")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "success\n"
    assert "quantizing F16 model to Q8_0 100% ▕" in result.stderr
    details = httpx.post(f"{server.url}/api/show", json={"model": "gemma-q8"}).json()["details"]
    assert details["quantization_level"] == "Q8_0"


def test_bad_type_and_quantized_source_are_ollamas_400s(
    client: ollama.Client, server: RunningServer, f16: tuple[str, str]
) -> None:
    filename, digest = f16
    with pytest.raises(ollama.ResponseError) as bad_type:
        client.create(model="x", files={filename: digest}, quantize="q9_x")
    assert bad_type.value.status_code == 400
    assert bad_type.value.error.startswith(
        "unsupported quantization type Q9_X - supported types are F32, F16, Q4_K_S, Q4_K_M, Q8_0"
    )
    packaged = gemma_gguf_path()
    q4 = client.create_blob(packaged)
    with pytest.raises(ollama.ResponseError) as quantized:
        client.create(model="x", files={packaged.name: q4}, quantize="q8_0")
    assert (quantized.value.status_code, quantized.value.error) == (400, WRONG_SOURCE)
    assert httpx.get(f"{server.url}/api/tags").json()["models"] is not None


def _quantize_children(server: RunningServer) -> list[int]:
    store = str(server.models).encode()
    return [
        pid
        for pid, _, cmdline in processes()
        if b"pollama.quantize" in cmdline and any(store in part for part in cmdline)
    ]


def test_a_killed_quantize_is_an_error_and_the_server_stays_up(
    server: RunningServer, f16: tuple[str, str]
) -> None:
    filename, digest = f16

    def kill_the_child() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for pid in _quantize_children(server):
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_child)
    killer.start()
    body = {"model": "gemma-killed", "files": {filename: digest}, "quantize": "q4_K_S"}
    with httpx.stream("POST", f"{server.url}/api/create", json=body, timeout=120) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    killer.join()
    assert lines[-1] == {
        "error": "failed to quantize model: the quantize process was killed (SIGKILL)"
    }
    assert httpx.get(f"{server.url}/api/version").status_code == 200
    assert "gemma-killed" not in httpx.get(f"{server.url}/api/tags").text
    assert not list(server.models.joinpath("blobs").glob(".tmp-*"))


def test_a_draft_is_uploaded_by_the_cli_stored_and_shown(
    server: RunningServer, tmp_path: Path
) -> None:
    modelfile = tmp_path / "Modelfile"
    modelfile.write_text(f"FROM {gemma_gguf_path()}\nDRAFT {gemma_float_gguf('F16')}\n")
    result = server.cli("create", "gemma-drafted", "-f", str(modelfile))
    assert result.returncode == 0, result.stderr
    manifest = server.models / "manifests/registry.ollama.ai/library/gemma-drafted/latest"
    layers = json.loads(manifest.read_text())["layers"]
    (draft,) = [x for x in layers if x["mediaType"] == "application/vnd.ollama.image.draft"]
    assert draft["from"] == gemma_float_gguf("F16").name
    shown = server.cli("show", "gemma-drafted", "--modelfile")
    blob = server.models / "blobs" / draft["digest"].replace(":", "-")
    assert f"\nDRAFT {blob}\n" in shown.stdout
