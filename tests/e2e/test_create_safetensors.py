"""Importing Hugging Face directories end to end against a real server: `pollama create` with
`FROM ./hf-dir` and `ADAPTER ./peft-dir` from the CLI, the official client uploading the
files itself (with `quantize`), and every refusal a 400 that writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import ollama
import pytest

from tests.conftest import RunningServer
from tests.convert.peft_fixture import adapter_config, random_lora, write_peft_adapter
from tests.convert.synthetic import CHAT_TEMPLATE, write_hf_model

pytestmark = pytest.mark.engine

GREEDY = {"temperature": 0, "num_predict": 8, "seed": 1}
# Every request unloads its model after (keep_alive 0): the session server's other tests count
# what is loaded.


def _blob_names(server: RunningServer) -> set[str]:
    return {path.name for path in (server.models / "blobs").iterdir()}


def _upload(client: ollama.Client, directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): client.create_blob(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_cli_creates_a_model_from_a_hugging_face_directory(
    server: RunningServer, tmp_path: Path
) -> None:
    write_hf_model(tmp_path / "tiny-llama", "llama")
    (tmp_path / "Modelfile").write_text("FROM ./tiny-llama\nPARAMETER temperature 0\n")
    created = server.cli("create", "tiny-llama-hf", "-f", str(tmp_path / "Modelfile"))
    assert created.returncode == 0, created.stdout + created.stderr
    assert "converting model" in created.stdout + created.stderr
    assert "success" in created.stdout + created.stderr

    client = ollama.Client(host=server.url)
    shown = client.show("tiny-llama-hf")
    assert shown.details.format == "gguf"
    assert shown.details.family == "llama"
    assert shown.details.quantization_level == "F32"
    assert shown.modelinfo is not None
    assert shown.modelinfo["llama.block_count"] == 2
    # The tokenizer_config.json chat template is the model's template (rendered with Jinja).
    assert shown.template == CHAT_TEMPLATE
    answer = client.chat(
        model="tiny-llama-hf",
        messages=[{"role": "user", "content": "the fox"}],
        options=GREEDY,
        keep_alive=0,
    )
    assert answer.eval_count and answer.eval_count > 0
    assert not list((server.models / "blobs").glob(".tmp-convert-*"))


def test_official_client_uploads_converts_and_quantizes(
    server: RunningServer, tmp_path: Path
) -> None:
    directory = tmp_path / "tiny-qwen"
    write_hf_model(directory, "qwen2", dtype="F16")
    client = ollama.Client(host=server.url)
    files = _upload(client, directory)
    statuses = [event.status for event in client.create("tiny-qwen-hf", files=files, stream=True)]
    assert statuses[0] == "converting model"
    assert statuses[-2:] == ["writing manifest", "success"]
    assert client.show("tiny-qwen-hf").details.quantization_level == "F16"

    events = list(client.create("tiny-qwen-q8", files=files, quantize="q8_0", stream=True))
    statuses = [event.status for event in events]
    assert "quantizing F16 model to Q8_0" in statuses
    assert client.show("tiny-qwen-q8").details.quantization_level == "Q8_0"
    progress = [event for event in events if event.status == "converting model" and event.total]
    assert progress and progress[-1].completed == progress[-1].total
    answer = client.generate(model="tiny-qwen-q8", prompt="The quick", options=GREEDY, keep_alive=0)
    assert answer.eval_count and answer.eval_count > 0


def test_a_peft_adapter_directory_changes_the_output(server: RunningServer, tmp_path: Path) -> None:
    model = write_hf_model(tmp_path / "base", "llama", seed=3)
    config = model["config"]
    lora = random_lora(config, seed=5, targets=("q_proj", "v_proj", "down_proj"), scale=0.5)
    write_peft_adapter(tmp_path / "lora", lora, adapter_config(base_model_name_or_path="base"))
    (tmp_path / "Base").write_text("FROM ./base\n")
    (tmp_path / "Tuned").write_text("FROM ./base\nADAPTER ./lora\n")
    for name, modelfile in (("tiny-base", "Base"), ("tiny-tuned", "Tuned")):
        created = server.cli("create", name, "-f", str(tmp_path / modelfile))
        assert created.returncode == 0, created.stdout + created.stderr
    output = server.cli("show", "tiny-tuned", "--modelfile")
    assert "ADAPTER " in output.stdout

    client = ollama.Client(host=server.url)
    prompt = "She sells sea shells"
    base = client.generate(model="tiny-base", prompt=prompt, raw=True, options=GREEDY, keep_alive=0)
    tuned = client.generate(
        model="tiny-tuned", prompt=prompt, raw=True, options=GREEDY, keep_alive=0
    )
    assert base.response != tuned.response
    # The same adapter over the model made before (its GGUF is the base now): the same output.
    (tmp_path / "Again").write_text("FROM tiny-base\nADAPTER ./lora\n")
    created = server.cli("create", "tiny-tuned-again", "-f", str(tmp_path / "Again"))
    assert created.returncode == 0, created.stdout + created.stderr
    again = client.generate(
        model="tiny-tuned-again", prompt=prompt, raw=True, options=GREEDY, keep_alive=0
    )
    assert again.response == tuned.response


def test_refusals_are_400s_that_write_nothing(server: RunningServer, tmp_path: Path) -> None:
    directory = tmp_path / "foo"
    write_hf_model(directory, "llama")
    config = json.loads((directory / "config.json").read_text())
    client = ollama.Client(host=server.url)
    files = _upload(client, directory)
    config["architectures"] = ["FooForCausalLM"]
    (directory / "config.json").write_text(json.dumps(config))
    unsupported = {**files, "config.json": client.create_blob(directory / "config.json")}
    before = _blob_names(server)
    missing_tokenizer = {k: v for k, v in files.items() if not k.startswith("tokenizer")}
    without_config = {k: v for k, v in files.items() if k != "config.json"}
    cases = [
        (unsupported, 'unsupported architecture "FooForCausalLM"'),
        (missing_tokenizer, "tokenizer"),
        (without_config, "config.json"),
    ]
    for request_files, expected in cases:
        with pytest.raises(ollama.ResponseError) as refused:
            client.create("refused", files=request_files)
        assert refused.value.status_code == 400
        assert expected in refused.value.error
    adapter_only = {"adapter_model.safetensors": files["model.safetensors"]}
    with pytest.raises(ollama.ResponseError) as refused:
        client.create("refused", files=files, adapters=adapter_only)
    assert refused.value.status_code == 400
    assert _blob_names(server) == before
    assert "refused" not in {model.model for model in client.list().models}
