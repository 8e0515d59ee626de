"""Registry work through real servers: push from one `pollama serve`, pull into a fresh one (the
CLI, the API, `run` and `create FROM`), then run the pulled gemma model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ollama
import pytest

from tests.conftest import RunningServer, start_server, stop_server
from tests.fixtures.synthetic_gguf import write_tiny_gguf
from tests.registry.registry_server import RunningRegistry, registry

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def oci(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with registry(tmp_path_factory.mktemp("oci")) as running:
        yield running


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A second server with an empty store."""
    running = start_server(tmp_path_factory.mktemp("fresh"))
    try:
        yield running
    finally:
        stop_server(running.process)


def _manifest(server: RunningServer, name: str) -> bytes:
    host_port, namespace, rest = name.split("/")
    model, tag = rest.split(":")
    return (server.models / "manifests" / host_port / namespace / model / tag).read_bytes()


def test_push_gemma_pull_into_empty_store_and_run(
    server: RunningServer, gemma: str, oci: RunningRegistry, fresh: RunningServer
) -> None:
    name = f"{oci.host}/library/gemma3:270m"
    source = ollama.Client(host=server.url)
    source.copy(gemma, name)
    pushed = list(source.push(name, insecure=True, stream=True))
    assert pushed[0].status == "retrieving manifest"
    assert [p.status for p in pushed[-2:]] == ["pushing manifest", "success"]

    pulled = fresh.cli("pull", "--insecure", name, timeout=300)
    assert pulled.returncode == 0, pulled.stderr
    assert "pulling manifest" in pulled.stderr and "success" in pulled.stdout
    assert _manifest(fresh, name) == _manifest(server, name)

    answer = ollama.Client(host=fresh.url).generate(
        model=name, prompt="Count to three.", options={"num_predict": 8, "temperature": 0}
    )
    assert (answer.response or "").strip()


def test_cli_pull_and_create_from_a_registry_model(
    server: RunningServer, oci: RunningRegistry, fresh: RunningServer, tmp_path: Path
) -> None:
    name = f"{oci.host}/tests/tiny:v1"
    source = ollama.Client(host=server.url)
    weights = write_tiny_gguf(tmp_path / "tiny.gguf")
    source.create(model=name, files={weights.name: source.create_blob(weights)}, system="x")
    pushed = server.cli("push", "--insecure", name)
    assert pushed.returncode == 0, pushed.stderr
    assert "success" in pushed.stdout

    pulled = fresh.cli("pull", "--insecure", name)
    assert pulled.returncode == 0, pulled.stderr
    assert "pulling manifest" in pulled.stderr and "writing manifest" in pulled.stderr
    assert _manifest(fresh, name) == _manifest(server, name)
    fresh.cli("rm", name)

    # create FROM a registry model that is not here pulls it first (create has no `insecure`:
    # registries.json allows plain HTTP for this registry)
    config = {"registries": {oci.host: {"insecure": True}}}
    (fresh.home / ".ollama" / "registries.json").write_text(json.dumps(config))
    statuses = [
        p.status
        for p in ollama.Client(host=fresh.url).create(
            model="derived", from_=name, system="derived", stream=True
        )
    ]
    assert statuses[0] == "pulling manifest"
    assert statuses[-1] == "success" and "writing manifest" in statuses
    assert any(m.model == "derived:latest" for m in ollama.Client(host=fresh.url).list().models)


def test_missing_tag_and_insecure_errors(oci: RunningRegistry, fresh: RunningServer) -> None:
    client = ollama.Client(host=fresh.url)
    with pytest.raises(ollama.ResponseError) as missing:
        client.pull(f"{oci.host}/tests/nothing:here", insecure=True)
    assert missing.value.error == "pull model manifest: file does not exist"
    assert missing.value.status_code == 500
    with pytest.raises(ollama.ResponseError) as insecure:
        client.pull("http://127.0.0.1:9/tests/tiny:v1")  # a host registries.json does not list
    assert insecure.value.error == "insecure protocol http"
