"""ADAPTER models over one base: created (or refused) at create, served concurrently by ONE
runner process, each with its own adapter's output, listed one by one in /api/ps."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import ollama
import pytest

from tests.conftest import RunningServer, create_gemma, runner_pids, start_server, stop_server
from tests.fixtures.lora import write_lora

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

BASE = "gemma3:270m"
ADAPTER_MODELS = ["lora-one:latest", "lora-two:latest", "lora-three:latest"]
PROMPT = "Write a poem about the sea."


@pytest.fixture(scope="module")
def adapter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("adapters")
    # Batch-invariant: answers beside other streams are compared with answers alone.
    running = start_server(root, {"POLLAMA_BATCH_INVARIANT": "1"})
    try:
        create_gemma(running.url, BASE)
        client = ollama.Client(host=running.url)
        for seed, name in enumerate(ADAPTER_MODELS, start=1):
            path = write_lora(root / f"lora{seed}.gguf", seed)
            digest = client.create_blob(path)
            client.create(model=name, from_=BASE, adapters={path.name: digest})
        yield running
    finally:
        stop_server(running.process)


def generate(server: RunningServer, model: str) -> str:
    answer = httpx.post(
        f"{server.url}/api/generate",
        json={
            "model": model,
            "prompt": PROMPT,
            "stream": False,
            "options": {"temperature": 0, "num_predict": 16},
        },
        timeout=180,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["response"])


def test_adapter_models_share_one_runner_each_with_its_own_output(
    adapter_server: RunningServer,
) -> None:
    models = [BASE, *ADAPTER_MODELS]
    alone = {model: generate(adapter_server, model) for model in models}
    assert len(set(alone.values())) == len(models)  # each adapter changes the answer
    (pid,) = runner_pids(adapter_server)
    with ThreadPoolExecutor(len(models)) as pool:
        together = dict(
            zip(models, pool.map(lambda m: generate(adapter_server, m), models), strict=True)
        )
    assert together == alone
    assert runner_pids(adapter_server) == [pid]  # no second runner was started

    listed = httpx.get(f"{adapter_server.url}/api/ps").json()["models"]
    by_name = {entry["name"]: entry for entry in listed}
    assert set(by_name) == set(models)
    base_size = by_name[BASE]["size"]
    for seed, name in enumerate(ADAPTER_MODELS, start=1):
        entry = by_name[name]
        adapter_size = (adapter_server.home.parent / f"lora{seed}.gguf").stat().st_size
        assert entry["size"] == base_size + adapter_size
        assert set(entry["shared_with"]) == set(models) - {name}


def test_an_adapter_for_another_base_is_refused_at_create(
    adapter_server: RunningServer, tmp_path: Path
) -> None:
    client = ollama.Client(host=adapter_server.url)
    for path in (
        write_lora(tmp_path / "shapes.gguf", 7, wrong_shape=True),
        write_lora(tmp_path / "arch.gguf", 8, architecture="llama"),
    ):
        digest = client.create_blob(path)
        answer = httpx.post(
            f"{adapter_server.url}/api/create",
            json={"model": "bad-lora", "from": BASE, "adapters": {path.name: digest}},
            timeout=60,
        )
        assert answer.status_code == 400, answer.text
        assert "does not fit the base model" in answer.json()["error"]
    assert "bad-lora" not in {
        m["name"] for m in httpx.get(f"{adapter_server.url}/api/tags").json()["models"]
    }
