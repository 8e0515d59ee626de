"""Planning a Hugging Face directory: tensor names and shapes as llama.cpp expects them for
every architecture, output dtypes, and every refusal. Tiny random checkpoints are written with
safetensors' numpy writer; the tokenizer is stubbed (its own tests cover it).

The helpers here (configs, HF tensor lists written from the Hugging Face model definitions,
`write_checkpoint`, the tokenizer stub) are shared with the other test_arch_* modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from gguf import GGUFValueType
from safetensors.numpy import save_file

import pollama.convert.tokenizer
from pollama.convert.model import plan_model
from pollama.convert.plan import KV, ConversionPlan

TINY: dict[str, Any] = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 64,
    "vocab_size": 48,
    "max_position_embeddings": 128,
    "rms_norm_eps": 1e-5,
}
CONFIGS: dict[str, dict[str, Any]] = {
    "LlamaForCausalLM": {"model_type": "llama", "rope_theta": 10000.0},
    "MistralForCausalLM": {"model_type": "mistral", "sliding_window": 4096, "head_dim": 8},
    "Qwen2ForCausalLM": {"model_type": "qwen2", "tie_word_embeddings": True},
    "Qwen3ForCausalLM": {"model_type": "qwen3", "head_dim": 16, "rope_theta": 1e6},
    "GemmaForCausalLM": {"model_type": "gemma", "head_dim": 8},
    "Gemma2ForCausalLM": {
        "model_type": "gemma2",
        "head_dim": 8,
        "query_pre_attn_scalar": 8,
        "sliding_window": 16,
        "attn_logit_softcapping": 50.0,
        "final_logit_softcapping": 30.0,
    },
    "Gemma3ForCausalLM": {
        "model_type": "gemma3_text",
        "num_hidden_layers": 3,
        "head_dim": 8,
        "query_pre_attn_scalar": 8,
        "sliding_window": 16,
        "sliding_window_pattern": 3,
        "rope_theta": 1e6,
        "rope_local_base_freq": 10000.0,
        "attn_logit_softcapping": None,
        "final_logit_softcapping": None,
    },
    "Phi3ForCausalLM": {"model_type": "phi3", "original_max_position_embeddings": 128},
}
GGUF_ARCHITECTURES = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
    "GemmaForCausalLM": "gemma",
    "Gemma2ForCausalLM": "gemma2",
    "Gemma3ForCausalLM": "gemma3",
    "Phi3ForCausalLM": "phi3",
}
TIED_BY_DEFAULT = {"GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM"}


def config_for(architecture: str, **overrides: Any) -> dict[str, Any]:
    return {"architectures": [architecture], **TINY, **CONFIGS[architecture], **overrides}


def hf_shapes(architecture: str, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The tensors a Hugging Face checkpoint of this architecture holds (numpy shapes)."""
    hidden, heads, kv = (
        config["hidden_size"],
        config["num_attention_heads"],
        config["num_key_value_heads"],
    )
    head_dim = config.get("head_dim") or hidden // heads
    ff, vocab = config["intermediate_size"], config["vocab_size"]
    shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (vocab, hidden)}
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        shapes[p + "input_layernorm.weight"] = (hidden,)
        shapes[p + "post_attention_layernorm.weight"] = (hidden,)
        shapes[p + "mlp.down_proj.weight"] = (hidden, ff)
        shapes[p + "self_attn.o_proj.weight"] = (hidden, heads * head_dim)
        if architecture == "Phi3ForCausalLM":
            shapes[p + "self_attn.qkv_proj.weight"] = ((heads + 2 * kv) * head_dim, hidden)
            shapes[p + "mlp.gate_up_proj.weight"] = (2 * ff, hidden)
            continue
        for name, rows in (("q", heads), ("k", kv), ("v", kv)):
            shapes[p + f"self_attn.{name}_proj.weight"] = (rows * head_dim, hidden)
            if architecture == "Qwen2ForCausalLM" or config.get("attention_bias"):
                shapes[p + f"self_attn.{name}_proj.bias"] = (rows * head_dim,)
        if config.get("attention_bias"):
            shapes[p + "self_attn.o_proj.bias"] = (hidden,)
        shapes[p + "mlp.gate_proj.weight"] = (ff, hidden)
        shapes[p + "mlp.up_proj.weight"] = (ff, hidden)
        if config.get("mlp_bias"):
            shapes[p + "mlp.gate_proj.bias"] = (ff,)
            shapes[p + "mlp.up_proj.bias"] = (ff,)
            shapes[p + "mlp.down_proj.bias"] = (hidden,)
        if architecture in ("Qwen3ForCausalLM", "Gemma3ForCausalLM"):
            shapes[p + "self_attn.q_norm.weight"] = (head_dim,)
            shapes[p + "self_attn.k_norm.weight"] = (head_dim,)
        if architecture in ("Gemma2ForCausalLM", "Gemma3ForCausalLM"):
            shapes[p + "pre_feedforward_layernorm.weight"] = (hidden,)
            shapes[p + "post_feedforward_layernorm.weight"] = (hidden,)
    shapes["model.norm.weight"] = (hidden,)
    if not config.get("tie_word_embeddings", architecture in TIED_BY_DEFAULT):
        shapes["lm_head.weight"] = (vocab, hidden)
    return shapes


def random_tensors(
    shapes: dict[str, tuple[int, ...]], dtype: Any, seed: int = 0
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        name: (rng.standard_normal(shape) * 0.1).astype(dtype) for name, shape in shapes.items()
    }


def write_checkpoint(
    directory: Path,
    architecture: str,
    *,
    dtype: Any = np.float16,
    config: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    extra: dict[str, np.ndarray] | None = None,
    **overrides: Any,
) -> dict[str, np.ndarray]:
    """A tiny random checkpoint: config.json + model.safetensors; returns its tensors."""
    directory.mkdir(parents=True, exist_ok=True)
    config = config or config_for(architecture, **overrides)
    (directory / "config.json").write_text(json.dumps(config))
    shapes = {k: v for k, v in hf_shapes(architecture, config).items() if k not in drop}
    tensors = {**random_tensors(shapes, dtype), **(extra or {})}
    save_file(tensors, str(directory / "model.safetensors"))
    return tensors


def stub_vocabulary(vocab_size: int) -> list[KV]:
    """A SentencePiece-style vocabulary llama.cpp loads: <unk>, <s>, </s>, then plain pieces."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(vocab_size - 3)]
    types = [2, 3, 3] + [1] * (vocab_size - 3)
    return [
        KV("tokenizer.ggml.model", "llama", GGUFValueType.STRING),
        KV("tokenizer.ggml.tokens", tokens, GGUFValueType.ARRAY, GGUFValueType.STRING),
        KV("tokenizer.ggml.scores", [0.0] * vocab_size, GGUFValueType.ARRAY, GGUFValueType.FLOAT32),
        KV("tokenizer.ggml.token_type", types, GGUFValueType.ARRAY, GGUFValueType.INT32),
        KV("tokenizer.ggml.bos_token_id", 1, GGUFValueType.UINT32),
        KV("tokenizer.ggml.eos_token_id", 2, GGUFValueType.UINT32),
    ]


@pytest.fixture(autouse=True)
def stub_tokenizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """plan_model's tokenizer call answered with a stub; yields the vocab sizes asked for."""
    asked: list[int] = []

    def tokenizer_metadata(directory: Path, vocab_size: int) -> list[KV]:
        asked.append(vocab_size)
        return stub_vocabulary(vocab_size)

    monkeypatch.setattr(pollama.convert.tokenizer, "tokenizer_metadata", tokenizer_metadata)
    yield asked


def kv_map(plan: ConversionPlan) -> dict[str, KV]:
    return {kv.key: kv for kv in plan.metadata}


def gguf_name(architecture: str, hf_name: str, blocks: int) -> str | None:
    """llama.cpp's own name mapping (gguf-py's TensorNameMap), as the reference."""
    arch = gguf.MODEL_ARCH[GGUF_ARCHITECTURES[architecture].upper()]
    return gguf.get_tensor_name_map(arch, blocks).get_name(
        hf_name, try_suffixes=(".weight", ".bias")
    )


@pytest.mark.parametrize("architecture", list(CONFIGS))
def test_tensor_names_and_shapes_per_architecture(tmp_path: Path, architecture: str) -> None:
    tensors = write_checkpoint(tmp_path, architecture)
    plan = plan_model(tmp_path)
    blocks = CONFIGS[architecture].get("num_hidden_layers", TINY["num_hidden_layers"])
    assert plan.architecture == GGUF_ARCHITECTURES[architecture]
    expected = {
        gguf_name(architecture, name, blocks): array.shape for name, array in tensors.items()
    }
    assert None not in expected
    assert {t.name: t.shape for t in plan.tensors} == expected
    assert plan.file_type == "F16"
    for tensor in plan.tensors:
        assert tensor.dtype == ("F16" if len(tensor.shape) == 2 else "F32"), tensor.name
        loaded = tensor.load()
        assert loaded.shape == tensor.shape
        assert loaded.dtype == {"F16": np.float16, "F32": np.float32}[tensor.dtype]


@pytest.mark.parametrize("architecture", list(CONFIGS))
def test_core_metadata_per_architecture(
    tmp_path: Path, architecture: str, stub_tokenizer: list[int]
) -> None:
    write_checkpoint(tmp_path / "tiny-model", architecture)
    plan = plan_model(tmp_path / "tiny-model")
    kvs = kv_map(plan)
    arch = plan.architecture
    config = config_for(architecture)
    expected = {
        gguf.Keys.General.ARCHITECTURE: arch,
        gguf.Keys.General.TYPE: "model",
        gguf.Keys.General.NAME: "tiny-model",
        gguf.Keys.LLM.CONTEXT_LENGTH.format(arch=arch): 128,
        gguf.Keys.LLM.EMBEDDING_LENGTH.format(arch=arch): 32,
        gguf.Keys.LLM.BLOCK_COUNT.format(arch=arch): config["num_hidden_layers"],
        gguf.Keys.LLM.FEED_FORWARD_LENGTH.format(arch=arch): 64,
        gguf.Keys.Attention.HEAD_COUNT.format(arch=arch): 4,
        gguf.Keys.Attention.HEAD_COUNT_KV.format(arch=arch): 2,
    }
    for key, value in expected.items():
        assert kvs[key].value == value, key
    eps = kvs[gguf.Keys.Attention.LAYERNORM_RMS_EPS.format(arch=arch)]
    assert eps.type == GGUFValueType.FLOAT32 and eps.value == pytest.approx(1e-5)
    assert kvs[gguf.Keys.LLM.CONTEXT_LENGTH.format(arch=arch)].type == GGUFValueType.UINT32
    assert kvs["tokenizer.ggml.model"].value == "llama"  # the tokenizer's keys are included
    assert stub_tokenizer == [48]
    if "head_dim" in config:
        assert kvs[gguf.Keys.Attention.KEY_LENGTH.format(arch=arch)].value == config["head_dim"]
        assert kvs[gguf.Keys.Attention.VALUE_LENGTH.format(arch=arch)].value == config["head_dim"]


def test_name_from_name_or_path(tmp_path: Path) -> None:
    config = config_for("LlamaForCausalLM", _name_or_path="meta-llama/Llama-3.2-1B/")
    write_checkpoint(tmp_path, "LlamaForCausalLM", config=config)
    assert kv_map(plan_model(tmp_path))["general.name"].value == "Llama-3.2-1B"


def test_llama_rotary_permutation(tmp_path: Path) -> None:
    tensors = write_checkpoint(tmp_path, "LlamaForCausalLM", attention_bias=True, dtype=np.float32)
    planned = {t.name: t for t in plan_model(tmp_path).tensors}
    head_dim = 8
    for kind, heads in (("q", 4), ("k", 2)):
        for suffix in ("weight", "bias"):
            source = tensors[f"model.layers.1.self_attn.{kind}_proj.{suffix}"]
            written = planned[f"blk.1.attn_{kind}.{suffix}"].load()
            for head in range(heads):
                for i in range(head_dim // 2):
                    for half in (0, 1):  # pair (2i, 2i+1) ← (i, i + head_dim / 2)
                        out_row = head * head_dim + 2 * i + half
                        in_row = head * head_dim + i + half * head_dim // 2
                        assert np.array_equal(written[out_row], source[in_row])
    v = tensors["model.layers.1.self_attn.v_proj.weight"]
    assert np.array_equal(planned["blk.1.attn_v.weight"].load(), v)  # v is not permuted
    assert np.array_equal(
        planned["blk.1.attn_output.bias"].load(), tensors["model.layers.1.self_attn.o_proj.bias"]
    )


@pytest.mark.parametrize(
    "architecture", ["GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM"]
)
def test_gemma_norms_get_one_added(tmp_path: Path, architecture: str) -> None:
    tensors = write_checkpoint(tmp_path, architecture, dtype=np.float32)
    planned = {t.name: t for t in plan_model(tmp_path).tensors}
    blocks = CONFIGS[architecture].get("num_hidden_layers", TINY["num_hidden_layers"])
    for name, array in tensors.items():
        target = gguf_name(architecture, name, blocks)
        assert target is not None
        shift = 1.0 if name.endswith("norm.weight") else 0.0
        assert np.allclose(planned[target].load(), array + shift), name
    if architecture == "Gemma3ForCausalLM":  # the q/k norms too, as llama.cpp's converter does
        assert np.allclose(
            planned["blk.0.attn_q_norm.weight"].load(),
            tensors["model.layers.0.self_attn.q_norm.weight"] + 1,
        )


def test_other_architectures_copy_data_unchanged(tmp_path: Path) -> None:
    tensors = write_checkpoint(tmp_path, "Qwen3ForCausalLM", dtype=np.float16)
    planned = {t.name: t for t in plan_model(tmp_path).tensors}
    assert np.array_equal(
        planned["blk.0.attn_q.weight"].load(), tensors["model.layers.0.self_attn.q_proj.weight"]
    )
    assert np.array_equal(
        planned["blk.0.attn_q_norm.weight"].load(),
        tensors["model.layers.0.self_attn.q_norm.weight"].astype(np.float32),
    )
