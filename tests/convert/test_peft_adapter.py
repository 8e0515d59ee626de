"""PEFT LoRA adapters converted to GGUF LoRAs: the same tensors a hand-made GGUF LoRA holds,
the llama q/k permutation carried by lora_B, every refusal named. The engine check (the
converted adapter over the imported gemma3 270M generates as the hand-made one over the
original) is in test_gemma_round_trip.py, beside the import it needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gguf import GGUFReader
from safetensors.numpy import save_file

from pollama.convert.adapter import plan_adapter
from pollama.convert.architectures.llama import rotary_permutation
from pollama.convert.errors import ConvertError
from pollama.convert.writer import write_plan
from tests.convert.peft_fixture import (
    ALPHA,
    PREFIX,
    RANK,
    LoraWeights,
    adapter_config,
    gguf_name,
    random_lora,
    write_gguf_lora,
    write_peft_adapter,
)

# A tiny gemma3 and a tiny llama, as their GGUF metadata and as Hugging Face configs.
TINY = {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16}
TINY |= {"intermediate_size": 96, "num_hidden_layers": 2}


def base_kv(arch: str = "gemma3", changes: dict[str, Any] | None = None) -> dict[str, Any]:
    kv: dict[str, Any] = {
        "general.architecture": arch,
        f"{arch}.embedding_length": 64,
        f"{arch}.block_count": 2,
        f"{arch}.feed_forward_length": 96,
        f"{arch}.attention.head_count": 4,
        f"{arch}.attention.head_count_kv": 2,
        "tokenizer.ggml.tokens": [f"t{i}" for i in range(32)],
    }
    if arch.startswith("gemma"):
        kv[f"{arch}.attention.key_length"] = 16
    kv.update(changes or {})
    return {key: value for key, value in kv.items() if value is not None}


def tensors_of(path: Path) -> dict[str, np.ndarray]:
    return {tensor.name: np.array(tensor.data) for tensor in GGUFReader(path).tensors}


def test_plan_names_shapes_dtypes_and_metadata(tmp_path: Path) -> None:
    weights = random_lora(TINY, seed=1)
    plan = plan_adapter(write_peft_adapter(tmp_path / "my-adapter", weights), base_kv())
    assert plan.architecture == "gemma3"
    metadata = {kv.key: kv.value for kv in plan.metadata}
    assert metadata == {
        "general.type": "adapter",
        "general.name": "my-adapter",
        "adapter.type": "lora",
        "adapter.lora.alpha": ALPHA,
    }
    planned = {tensor.name: tensor for tensor in plan.tensors}
    assert len(planned) == 2 * len(weights) == 2 * 3 * 2
    q_a, q_b = planned["blk.1.attn_q.weight.lora_a"], planned["blk.1.attn_q.weight.lora_b"]
    assert (q_a.shape, q_b.shape) == ((RANK, 64), (64, RANK))
    down_a, down_b = (
        planned["blk.0.ffn_down.weight.lora_a"],
        planned["blk.0.ffn_down.weight.lora_b"],
    )
    assert (down_a.shape, down_b.shape) == ((RANK, 96), (64, RANK))
    assert planned["blk.0.attn_v.weight.lora_b"].shape == (32, RANK)
    assert {tensor.dtype for tensor in plan.tensors} == {"F32"}


def test_a_staging_folder_is_named_after_the_base(tmp_path: Path) -> None:
    directory = write_peft_adapter(tmp_path / ".tmp-convert-x1", random_lora(TINY, seed=1))
    metadata = {kv.key: kv.value for kv in plan_adapter(directory, base_kv()).metadata}
    assert metadata["general.name"] == "gemma-3-270m LoRA"


def test_converted_adapter_is_the_hand_made_one(tmp_path: Path) -> None:
    weights = random_lora(TINY, seed=2)
    converted = tmp_path / "converted.gguf"
    write_plan(plan_adapter(write_peft_adapter(tmp_path / "peft", weights), base_kv()), converted)
    hand_made = write_gguf_lora(tmp_path / "hand-made.gguf", weights)
    expected, got = tensors_of(hand_made), tensors_of(converted)
    assert sorted(got) == sorted(expected)
    for name, array in got.items():
        assert array.dtype == expected[name].dtype and np.array_equal(array, expected[name]), name
    fields = GGUFReader(converted).fields
    assert fields["general.architecture"].contents() == "gemma3"
    assert fields["general.type"].contents() == "adapter"
    assert fields["adapter.type"].contents() == "lora"
    assert fields["adapter.lora.alpha"].contents() == ALPHA


def test_f16_adapters_stay_f16(tmp_path: Path) -> None:
    weights = {
        module: (a.astype(np.float16), b.astype(np.float16))
        for module, (a, b) in random_lora(TINY, seed=3).items()
    }
    plan = plan_adapter(write_peft_adapter(tmp_path / "peft", weights), base_kv())
    assert plan.file_type == "F16"
    for tensor in plan.tensors:
        assert tensor.dtype == "F16"
        assert tensor.load().dtype == np.float16


def test_llama_lora_b_gets_the_rotary_permutation_of_its_weight(tmp_path: Path) -> None:
    # Applied to B, the permutation permutes the rows of the update B @ A exactly as the
    # converter permutes the rows of the weight itself.
    weights = random_lora(TINY, seed=4, targets=("q_proj", "k_proj", "v_proj"))
    plan = plan_adapter(write_peft_adapter(tmp_path / "peft", weights), base_kv("llama"))
    loaded = {tensor.name: tensor.load() for tensor in plan.tensors}
    for module, heads in (("self_attn.q_proj", 4), ("self_attn.k_proj", 2)):
        lora_a, lora_b = weights[f"model.layers.1.{module}"]
        name = gguf_name(f"model.layers.1.{module}")
        update = loaded[f"{name}.lora_b"] @ loaded[f"{name}.lora_a"]
        np.testing.assert_allclose(update, rotary_permutation(lora_b @ lora_a, heads), rtol=1e-6)
    lora_a, lora_b = weights["model.layers.0.self_attn.v_proj"]
    assert np.array_equal(loaded["blk.0.attn_v.weight.lora_b"], lora_b)


def test_a_rank_pattern_allows_other_ranks(tmp_path: Path) -> None:
    weights = random_lora(TINY, seed=5, targets=("q_proj",), rank=2)
    config = adapter_config(rank_pattern={"q_proj": 2})
    plan = plan_adapter(write_peft_adapter(tmp_path / "peft", weights, config), base_kv())
    assert plan.tensors[0].shape == (2, 64)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"peft_type": "PREFIX_TUNING"}, '"peft_type" "PREFIX_TUNING" is not supported'),
        ({"peft_type": None}, 'missing "peft_type"'),
        ({"use_dora": True}, '"use_dora" true is not supported'),
        ({"use_rslora": True}, '"use_rslora" true is not supported'),
        ({"fan_in_fan_out": True}, '"fan_in_fan_out" true is not supported'),
        ({"bias": "lora_only"}, '"bias" "lora_only" is not supported'),
        ({"modules_to_save": ["lm_head"]}, '"modules_to_save" \\["lm_head"\\] is not supported'),
        ({"alpha_pattern": {"q_proj": 16}}, '"alpha_pattern" .* is not supported'),
        ({"r": None}, 'missing "r"'),
        ({"r": 0}, '"r" is 0, expected a positive integer'),
        ({"lora_alpha": None}, 'missing "lora_alpha"'),
        ({"lora_alpha": "8"}, '"lora_alpha" is "8", expected a number'),
        ({"target_modules": None}, 'missing "target_modules"'),
        (
            {"target_modules": ["q_proj", "embed_tokens"]},
            '"target_modules" "embed_tokens" is not supported',
        ),
        ({"target_modules": "(lm_head|q_proj)"}, '"target_modules" "lm_head" is not supported'),
        ({"target_modules": 7}, '"target_modules" is 7, expected a list'),
    ],
)
def test_refused_configs(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    directory = write_peft_adapter(tmp_path, random_lora(TINY, 6), adapter_config(**changes))
    with pytest.raises(ConvertError, match=f"^adapter_config.json: {message}"):
        plan_adapter(directory, base_kv())


def test_a_missing_or_unreadable_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match=r"^adapter_config.json: no such file"):
        plan_adapter(tmp_path, base_kv())
    (tmp_path / "adapter_config.json").write_text("{not json")
    with pytest.raises(ConvertError, match=r"^adapter_config.json: invalid JSON"):
        plan_adapter(tmp_path, base_kv())
    (tmp_path / "adapter_config.json").write_text("[]")
    with pytest.raises(ConvertError, match=r"^adapter_config.json: not a JSON object"):
        plan_adapter(tmp_path, base_kv())


def test_missing_weights_are_refused(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text(json.dumps(adapter_config()))
    with pytest.raises(ConvertError, match=r"^adapter_model.safetensors: no such file"):
        plan_adapter(tmp_path, base_kv())
    (tmp_path / "adapter_model.bin").write_bytes(b"pickle")
    with pytest.raises(ConvertError, match=r"^adapter_model.bin: only safetensors adapters"):
        plan_adapter(tmp_path, base_kv())


def with_pair(module: str, lora_a: np.ndarray, lora_b: np.ndarray) -> LoraWeights:
    return {**random_lora(TINY, 7, targets=("v_proj",)), module: (lora_a, lora_b)}


def zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


Q = "model.layers.0.self_attn.q_proj"
Q1 = "model.layers.1.self_attn.q_proj"


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (with_pair(Q, zeros(RANK, 65), zeros(64, RANK)), f"{Q}.lora_A.weight: shape \\(4, 65\\)"),
        (with_pair(Q, zeros(RANK, 64), zeros(63, RANK)), f"{Q}.lora_B.weight: shape \\(63, 4\\)"),
        (with_pair(Q, zeros(8, 64), zeros(64, 8)), f"{Q}.lora_A.weight: shape \\(8, 64\\), exp"),
        (with_pair(Q, zeros(RANK, 64), zeros(64, 2)), f"{Q}.lora_B.weight: shape \\(64, 2\\)"),
        (with_pair(Q, zeros(64), zeros(64, RANK)), f"{Q}.lora_A.weight: shape \\(64,\\)"),
        (
            with_pair("model.layers.2.self_attn.q_proj", zeros(RANK, 64), zeros(64, RANK)),
            "the base model has no tensor model.layers.2.self_attn.q_proj.weight",
        ),
        (
            with_pair("model.layers.0.mlp.fc1", zeros(RANK, 64), zeros(64, RANK)),
            "the base model has no tensor model.layers.0.mlp.fc1.weight",
        ),
        (
            with_pair("model.embed_tokens", zeros(RANK, 64), zeros(32, RANK)),
            "a LoRA on model.embed_tokens.weight is not supported",
        ),
    ],
)
def test_refused_tensors(tmp_path: Path, weights: LoraWeights, message: str) -> None:
    with pytest.raises(ConvertError, match=message):
        plan_adapter(write_peft_adapter(tmp_path, weights), base_kv())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (f"{PREFIX}{Q}.lora_A.weight", f"{Q} has no lora_B"),
        (f"{PREFIX}{Q1}.lora_B.weight", f"{Q1} has no lora_A"),
        (f"{PREFIX}lm_head.weight", "adapters on the embeddings or the output are not supported"),
        (
            f"{PREFIX}model.embed_tokens.lora_embedding_A",
            "adapters on the embeddings or the output",
        ),
        (f"{PREFIX}{Q}.lora_magnitude_vector", "DoRA adapters are not supported"),
        (f"{PREFIX}{Q}.base_layer.weight", "not a LoRA tensor"),
        (f"{Q}.lora_A.weight", "not a LoRA tensor"),
    ],
)
def test_refused_extra_tensors(tmp_path: Path, name: str, message: str) -> None:
    weights = random_lora(TINY, 8, targets=("v_proj",))
    directory = write_peft_adapter(tmp_path, weights, extra_tensors={name: zeros(RANK, 64)})
    with pytest.raises(ConvertError, match=f"^{name}: {message}"):
        plan_adapter(directory, base_kv())


def test_an_unsupported_dtype_is_refused(tmp_path: Path) -> None:
    directory = write_peft_adapter(tmp_path, {})
    tensors = {f"{PREFIX}{Q}.lora_A.weight": np.zeros((RANK, 64), np.int8)}
    tensors[f"{PREFIX}{Q}.lora_B.weight"] = zeros(64, RANK)
    save_file(tensors, str(directory / "adapter_model.safetensors"))
    with pytest.raises(ConvertError, match=r"lora_A.weight: unsupported tensor dtype I8"):
        plan_adapter(directory, base_kv())


def test_no_tensors_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match=r"^adapter_model.safetensors: no LoRA tensors"):
        plan_adapter(write_peft_adapter(tmp_path, {}), base_kv())


def test_the_base_must_be_a_supported_architecture_with_its_dimensions(tmp_path: Path) -> None:
    directory = write_peft_adapter(tmp_path, random_lora(TINY, 9))
    with pytest.raises(ConvertError, match=r'^unsupported base model architecture "mamba"'):
        plan_adapter(directory, base_kv("mamba"))
    with pytest.raises(ConvertError, match=r"^the base model has no general.architecture"):
        plan_adapter(directory, base_kv(changes={"general.architecture": None}))
    with pytest.raises(ConvertError, match=r"gemma3.embedding_length is missing"):
        plan_adapter(directory, base_kv(changes={"gemma3.embedding_length": None}))
