"""DRAFT models in process: create (the draft layer, its checks), show, the runner spec, the
`draft_num_predict` rule and the final chunk's draft counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pollama.models.create import DRAFT_NOT_GGUF
from pollama.names import Name
from pollama.runner.types import GenerateParams
from pollama.store import Model, media_types
from tests.fixtures.synthetic_gguf import VOCAB, write_tiny_gguf
from tests.inprocess.conftest import CHAT_TEMPLATE, InProcessServer

HELLO = [{"role": "user", "content": "hello"}]


def stored(server: InProcessServer, name: str) -> Model:
    model = server.store.complete_model(Name.parse(name))
    assert model is not None, name
    return model


def manifest_layers(server: InProcessServer, name: str) -> list[dict[str, Any]]:
    path = server.settings.models / "manifests" / "registry.ollama.ai" / "library" / name
    layers: list[dict[str, Any]] = json.loads((path / "latest").read_text())["layers"]
    return layers


def create_with_draft(server: InProcessServer, draft: Path, **body: Any) -> Any:
    model = write_tiny_gguf(server.root / "target.gguf")
    request = {
        "model": "drafted",
        "files": {"target.gguf": server.upload(model)},
        "draft_files": {draft.name: server.upload(draft)},
        "stream": False,
        **body,
    }
    return server.client.post("/api/create", json=request)


def test_a_draft_is_stored_as_a_draft_layer(inprocess: InProcessServer) -> None:
    inprocess.create("drafted", draft=True, template=CHAT_TEMPLATE)
    layers = manifest_layers(inprocess, "drafted")
    kinds = [layer["mediaType"] for layer in layers]
    assert kinds[:2] == [media_types.MODEL, media_types.DRAFT]
    assert media_types.DRAFT == "application/vnd.ollama.image.draft"
    assert layers[1]["from"] == "drafted-draft.gguf"
    model = stored(inprocess, "drafted")
    assert model.draft_path == inprocess.store.blobs.path(layers[1]["digest"])
    assert model.config["draft"] == {"model_format": "gguf", "architecture": "llama"}
    assert "draft" not in stored(inprocess, "tiny").config


def test_show_renders_the_draft_line_after_the_model(inprocess: InProcessServer) -> None:
    inprocess.create("drafted", draft=True)
    draft = stored(inprocess, "drafted").draft_path
    modelfile = inprocess.post("/api/show", model="drafted").json()["modelfile"]
    lines = modelfile.splitlines()
    assert lines[lines.index(f"DRAFT {draft}") - 1].startswith("FROM ")
    assert "DRAFT" not in inprocess.post("/api/show", model="tiny").json()["modelfile"]


def test_from_a_model_with_a_draft_keeps_it_and_a_new_draft_replaces_it(
    inprocess: InProcessServer,
) -> None:
    inprocess.create("drafted", draft=True)
    first = stored(inprocess, "drafted").draft_path
    kept = inprocess.post("/api/create", model="child", stream=False, **{"from": "drafted"})
    assert kept.status_code == 200, kept.text
    assert stored(inprocess, "child").draft_path == first
    other = write_tiny_gguf(inprocess.root / "other-draft.gguf", extra_kv={"general.name": "o"})
    body = {"from": "drafted", "draft_files": {"other-draft.gguf": inprocess.upload(other)}}
    replaced = inprocess.post("/api/create", model="child", stream=False, **body)
    assert replaced.status_code == 200, replaced.text
    layers = manifest_layers(inprocess, "child")
    assert [layer["mediaType"] for layer in layers].count(media_types.DRAFT) == 1
    assert stored(inprocess, "child").draft_path != first
    # checked against the FROM model's vocabulary
    stranger = write_tiny_gguf(
        inprocess.root / "stranger.gguf", extra_kv={"tokenizer.ggml.tokens": ["x"] * 8}
    )
    body = {"from": "drafted", "draft_files": {"stranger.gguf": inprocess.upload(stranger)}}
    refused = inprocess.post("/api/create", model="child", stream=False, **body)
    assert refused.status_code == 400
    assert "vocabulary does not match" in refused.json()["error"]


@pytest.mark.parametrize(
    ("extra_kv", "problem"),
    [
        ({"tokenizer.ggml.tokens": VOCAB[:-1]}, "7 tokens, the model has 8"),
        ({"tokenizer.ggml.tokens": [*VOCAB[:-1], "z"]}, "token 7 is 'z', the model's is 'e'"),
        ({"tokenizer.ggml.model": "gpt2"}, "tokenizer 'gpt2', the model's is 'llama'"),
        ({"tokenizer.ggml.bos_token_id": 0}, "BOS token 0, the model's is 1"),
        ({"tokenizer.ggml.eos_token_id": None}, "EOS token none, the model's is 2"),
    ],
)
def test_a_draft_with_another_vocabulary_is_refused(
    inprocess: InProcessServer, extra_kv: dict[str, Any], problem: str
) -> None:
    draft = write_tiny_gguf(inprocess.root / "draft.gguf", extra_kv=extra_kv)
    answer = create_with_draft(inprocess, draft)
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": f"draft.gguf: the draft model's vocabulary does not match the model's: "
                  f"{problem}"},
    )  # fmt: skip
    assert inprocess.store.complete_model(Name.parse("drafted")) is None


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("adapter", "it is an adapter, not a model"),
        ("projector", "it is a projector, not a model"),
        ("embedding", "it is an embedding model, which does not generate text"),
    ],
)
def test_a_draft_that_is_not_a_model_is_refused(
    inprocess: InProcessServer, kind: str, problem: str
) -> None:
    path = inprocess.root / "draft.gguf"
    if kind == "adapter":
        write_tiny_gguf(path, general_type="adapter", extra_kv={"adapter.type": "lora"})
    elif kind == "projector":
        write_tiny_gguf(path, arch="clip", general_type="projector")
    else:
        write_tiny_gguf(path, pooling_type=1)
    answer = create_with_draft(inprocess, path)
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": f"draft.gguf: not a draft model: {problem}"},
    )


def test_a_safetensors_draft_and_several_draft_files_are_refused(
    inprocess: InProcessServer,
) -> None:
    tensors = inprocess.root / "model.safetensors"
    tensors.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    answer = create_with_draft(inprocess, tensors)
    assert (answer.status_code, answer.json()) == (400, {"error": DRAFT_NOT_GGUF})
    one = write_tiny_gguf(inprocess.root / "one.gguf", extra_kv={"general.name": "one"})
    two = write_tiny_gguf(inprocess.root / "two.gguf", extra_kv={"general.name": "two"})
    files = {"one.gguf": inprocess.upload(one), "two.gguf": inprocess.upload(two)}
    body = {"from": "tiny", "draft_files": files}
    several = inprocess.post("/api/create", model="x", stream=False, **body)
    assert (several.status_code, several.json()) == (
        400,
        {"error": "only one draft model file is supported"},
    )


def test_the_runner_gets_the_draft_and_another_draft_is_another_runner(
    inprocess: InProcessServer,
) -> None:
    inprocess.create("drafted", draft=True, template=CHAT_TEMPLATE)
    inprocess.post("/api/chat", model="tiny", messages=HELLO, stream=False)
    assert inprocess.runner.spec.draft_model is None
    inprocess.post("/api/chat", model="drafted", messages=HELLO, stream=False)
    draft = stored(inprocess, "drafted").draft_path
    assert inprocess.runner.spec.draft_model == draft
    assert len(inprocess.runners.started) == 2  # same weights, but one loads a draft beside
    assert inprocess.runner.spec.repack_weights and not inprocess.runner.spec.batch_invariant


def draft_num_predict(server: InProcessServer, model: str, **options: Any) -> int:
    """What the runner was asked to draft per step for a chat with `options`."""
    seen: list[GenerateParams] = []

    def answer(params: GenerateParams) -> list[str]:
        seen.append(params)
        return ["ok"]

    server.reply(answer)
    body: dict[str, Any] = {"model": model, "messages": HELLO, "stream": False}
    if options:
        body["options"] = options
    response = server.post("/api/chat", **body)
    assert response.status_code == 200, response.text
    return seen[-1].draft_num_predict


def test_draft_num_predict_defaults_as_ollama(inprocess: InProcessServer) -> None:
    inprocess.create("drafted", draft=True, template=CHAT_TEMPLATE)
    inprocess.create("lookup", template=CHAT_TEMPLATE, parameters={"draft_num_predict": 6})
    assert draft_num_predict(inprocess, "drafted") == 4  # a draft model: 4
    assert draft_num_predict(inprocess, "tiny") == 0  # none: off unless set
    assert draft_num_predict(inprocess, "lookup") == 6  # the model's parameter: prompt lookup
    assert draft_num_predict(inprocess, "tiny", draft_num_predict=3) == 3
    assert draft_num_predict(inprocess, "drafted", draft_num_predict=0) == 0
    assert draft_num_predict(inprocess, "lookup", draft_num_predict=2) == 2


def test_a_negative_draft_num_predict_is_a_400(inprocess: InProcessServer) -> None:
    body = {"model": "tiny", "messages": HELLO, "stream": False}
    answer = inprocess.post("/api/chat", **body, options={"draft_num_predict": -1})
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": 'option "draft_num_predict" must not be negative'},
    )


def test_the_final_chunk_reports_the_draft_counts_only_when_drafting(
    inprocess: InProcessServer,
) -> None:
    inprocess.create("drafted", draft=True, template=CHAT_TEMPLATE)
    inprocess.reply("a", " b", " c", " d", " e", " f", " g")
    # 7 tokens, 4 drafts a step, all right: 2 steps, 8 drafted, 5 accepted
    lines = inprocess.stream("/api/chat", model="drafted", messages=HELLO)
    assert (lines[-1]["draft_count"], lines[-1]["draft_accepted_count"]) == (8, 5)
    assert all("draft_count" not in line for line in lines[:-1])
    whole = inprocess.post("/api/generate", model="drafted", prompt="x", stream=False).json()
    assert (whole["draft_count"], whole["draft_accepted_count"]) == (8, 5)
    plain = inprocess.post("/api/chat", model="tiny", messages=HELLO, stream=False).json()
    assert "draft_count" not in plain and "draft_accepted_count" not in plain
    # the translators carry nothing of it
    openai = inprocess.post("/v1/chat/completions", model="drafted", messages=HELLO).json()
    assert "draft_" not in json.dumps(openai)
    body = {"model": "drafted", "messages": HELLO, "max_tokens": 64}
    anthropic = inprocess.post("/v1/messages", **body).json()
    assert "draft_" not in json.dumps(anthropic)
