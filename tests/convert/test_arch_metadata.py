"""Architecture-specific metadata and generated tensors: rope scaling (linear, YaRN, Llama 3
factors, Phi-3 LongRoPE), Gemma 2 softcapping, Gemma 3 sliding layers and rope bases, the
Gemma 3 multimodal wrapper, and the settings llama.cpp cannot reproduce."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gguf import GGUFValueType
from safetensors.numpy import save_file

from pollama.convert.errors import ConvertError
from pollama.convert.model import plan_model
from pollama.convert.plan import ConversionPlan
from tests.convert.test_plan_model import (
    config_for,
    hf_shapes,
    kv_map,
    random_tensors,
    stub_tokenizer,
    write_checkpoint,
)

__all__ = ["stub_tokenizer"]  # the autouse fixture, active here too


def plan(tmp_path: Path, architecture: str, **overrides: Any) -> ConversionPlan:
    write_checkpoint(tmp_path, architecture, **overrides)
    return plan_model(tmp_path)


def values(plan: ConversionPlan) -> dict[str, Any]:
    return {key: kv.value for key, kv in kv_map(plan).items()}


def test_llama_basics(tmp_path: Path) -> None:
    kvs = values(plan(tmp_path, "LlamaForCausalLM"))
    assert kvs["llama.vocab_size"] == 48
    assert kvs["llama.rope.dimension_count"] == 8
    assert kvs["llama.rope.freq_base"] == 10000.0
    assert not any(key.startswith("llama.rope.scaling") for key in kvs)
    assert "llama.attention.sliding_window" not in values(plan(tmp_path, "MistralForCausalLM"))


def test_llama3_rope_frequencies(tmp_path: Path) -> None:
    scaling = {
        "rope_type": "llama3",
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    }
    result = plan(tmp_path, "LlamaForCausalLM", rope_theta=500000.0, rope_scaling=scaling)
    freqs = [t for t in result.tensors if t.name == "rope_freqs.weight"]
    assert len(freqs) == 1 and freqs[0].dtype == "F32" and freqs[0].shape == (4,)
    assert result.tensors[0].name == "rope_freqs.weight"  # generated tensors come first
    # head_dim 8: wavelengths 2π·500000^(i/8) for i = 0, 2, 4, 6 against 8192/4 and 8192/1.
    wavelength = 2 * math.pi * 500000.0**0.5
    smooth = (8192 / wavelength - 1.0) / (4.0 - 1.0)
    expected = [1.0, 1.0, 1 / ((1 - smooth) / 8.0 + smooth), 8.0]
    assert np.allclose(freqs[0].load(), expected, rtol=1e-5)
    assert not any(key.startswith("llama.rope.scaling") for key in values(result))


def test_linear_and_yarn_scaling(tmp_path: Path) -> None:
    linear = values(
        plan(tmp_path / "a", "LlamaForCausalLM", rope_scaling={"type": "linear", "factor": 4.0})
    )
    assert linear["llama.rope.scaling.type"] == "linear"
    assert linear["llama.rope.scaling.factor"] == 4.0
    yarn_config = {
        "rope_type": "yarn",
        "factor": 4.0,
        "original_max_position_embeddings": 32,
        "beta_fast": 32.0,
    }
    yarn = values(plan(tmp_path / "b", "Qwen2ForCausalLM", rope_scaling=yarn_config))
    assert yarn["qwen2.rope.scaling.type"] == "yarn"
    assert yarn["qwen2.rope.scaling.factor"] == 4.0
    assert yarn["qwen2.rope.scaling.original_context_length"] == 32
    assert yarn["qwen2.rope.scaling.yarn_beta_fast"] == 32.0
    v5_style = {"rope_type": "linear", "factor": 2.0, "rope_theta": 250000.0}
    newer = values(plan(tmp_path / "c", "Qwen3ForCausalLM", rope_parameters=v5_style))
    assert newer["qwen3.rope.freq_base"] == 250000.0 and newer["qwen3.rope.scaling.factor"] == 2.0


def test_gemma2_softcapping_and_sliding_window(tmp_path: Path) -> None:
    result = plan(tmp_path, "Gemma2ForCausalLM")
    kvs, typed = values(result), kv_map(result)
    assert kvs["gemma2.attn_logit_softcapping"] == 50.0
    assert kvs["gemma2.final_logit_softcapping"] == 30.0
    assert kvs["gemma2.attention.sliding_window"] == 16
    assert kvs["gemma2.attention.sliding_window_pattern"] == [True, False]  # even layers slide
    assert typed["gemma2.attention.sliding_window_pattern"].sub_type == GGUFValueType.BOOL
    assert kvs["gemma2.attention.key_length"] == 8
    assert "output.weight" not in [t.name for t in result.tensors]


def test_gemma3_sliding_layers_and_rope_bases(tmp_path: Path) -> None:
    kvs = values(plan(tmp_path / "a", "Gemma3ForCausalLM"))
    assert kvs["gemma3.attention.sliding_window"] == 16
    assert kvs["gemma3.attention.sliding_window_pattern"] == [True, True, False]
    assert kvs["gemma3.rope.freq_base"] == 1e6
    assert kvs["gemma3.rope.freq_base_swa"] == 10000.0
    assert "gemma3.final_logit_softcapping" not in kvs
    assert "gemma3.attn_logit_softcapping" not in kvs
    kinds = ["full_attention", "sliding_attention", "sliding_attention"]
    typed = values(plan(tmp_path / "b", "Gemma3ForCausalLM", layer_types=kinds))
    assert typed["gemma3.attention.sliding_window_pattern"] == [False, True, True]
    scaled = {"rope_type": "linear", "factor": 8.0}
    linear = values(plan(tmp_path / "c", "Gemma3ForCausalLM", rope_scaling=scaled))
    assert linear["gemma3.rope.scaling.factor"] == 8.0


def test_gemma3_untied_keeps_its_output(tmp_path: Path) -> None:
    result = plan(tmp_path, "Gemma3ForCausalLM", tie_word_embeddings=False)
    assert "output.weight" in [t.name for t in result.tensors]


def test_gemma3_multimodal_keeps_the_text_model(tmp_path: Path) -> None:
    text = config_for("Gemma3ForCausalLM")
    text.pop("architectures")
    config: dict[str, Any] = {
        "architectures": ["Gemma3ForConditionalGeneration"],
        "model_type": "gemma3",
        "text_config": text,
        "vision_config": {"hidden_size": 16},
    }
    tensors = random_tensors(hf_shapes("Gemma3ForCausalLM", text), np.float16)
    renamed = {name.replace("model.", "model.language_model.", 1): t for name, t in tensors.items()}
    renamed["model.vision_tower.vision_model.embeddings.patch_embedding.weight"] = np.zeros(
        (4, 4), np.float16
    )
    renamed["model.multi_modal_projector.mm_input_projection_weight"] = np.zeros((4, 4), np.float16)
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps(config))
    save_file(renamed, str(tmp_path / "model.safetensors"))
    result = plan_model(tmp_path)
    assert result.architecture == "gemma3"
    names = [t.name for t in result.tensors]
    assert "token_embd.weight" in names and "blk.2.attn_q_norm.weight" in names
    assert not any(name.startswith(("v.", "mm.")) for name in names)
    assert len(names) == len(tensors)


def test_phi3_longrope(tmp_path: Path) -> None:
    scaling = {"type": "longrope", "long_factor": [1.0, 2.0, 3.0, 4.0], "short_factor": [1.0] * 4}
    result = plan(
        tmp_path,
        "Phi3ForCausalLM",
        max_position_embeddings=512,
        original_max_position_embeddings=128,
        rope_scaling=scaling,
        sliding_window=64,
    )
    kvs = values(result)
    assert kvs["phi3.rope.dimension_count"] == 8
    assert kvs["phi3.rope.scaling.original_context_length"] == 128
    assert kvs["phi3.attention.sliding_window"] == 64
    expected = math.sqrt(1 + math.log(512 / 128) / math.log(128))
    assert kvs["phi3.rope.scaling.attn_factor"] == pytest.approx(expected)
    planned = {t.name: t for t in result.tensors}
    assert planned["rope_factors_long.weight"].load().tolist() == [1.0, 2.0, 3.0, 4.0]
    assert planned["rope_factors_short.weight"].load().tolist() == [1.0] * 4


def test_phi3_partial_rotary(tmp_path: Path) -> None:
    kvs = values(plan(tmp_path, "Phi3ForCausalLM", partial_rotary_factor=0.5))
    assert kvs["phi3.rope.dimension_count"] == 4  # int(0.5 * 32) // 4
    assert kvs["phi3.attention.sliding_window"] == 0


@pytest.mark.parametrize(
    ("architecture", "overrides", "message"),
    [
        (
            "GemmaForCausalLM",
            {"tie_word_embeddings": False},
            '"tie_word_embeddings" false is not supported',
        ),
        (
            "Gemma2ForCausalLM",
            {"attn_logit_softcapping": None},
            '"attn_logit_softcapping" null is not supported',
        ),
        (
            "Gemma3ForCausalLM",
            {"attn_logit_softcapping": 50.0},
            '"attn_logit_softcapping" 50.0 is not supported',
        ),
        (
            "Gemma3ForCausalLM",
            {"query_pre_attn_scalar": 16},
            '"query_pre_attn_scalar" 16 is not supported',
        ),
        (
            "Gemma3ForCausalLM",
            {"use_bidirectional_attention": True},
            '"use_bidirectional_attention"',
        ),
        ("Gemma3ForCausalLM", {"layer_types": ["full_attention"]}, '"layer_types" must list 3 of'),
        (
            "Qwen2ForCausalLM",
            {"use_sliding_window": True},
            '"use_sliding_window" true is not supported',
        ),
        ("Qwen3ForCausalLM", {"attention_bias": True}, '"attention_bias" true is not supported'),
        ("Qwen2ForCausalLM", {"head_dim": 16}, '"head_dim" 16 is not supported'),
        ("LlamaForCausalLM", {"hidden_act": "gelu"}, '"hidden_act" "gelu" is not supported'),
        ("Gemma2ForCausalLM", {"hidden_activation": "silu"}, '"hidden_activation" "silu" is not'),
        (
            "Phi3ForCausalLM",
            {"rope_scaling": {"type": "linear", "factor": 2.0}},
            'unsupported rope scaling type "linear"',
        ),
        (
            "Phi3ForCausalLM",
            {"rope_scaling": {"type": "longrope", "long_factor": [1.0], "short_factor": [1.0]}},
            '"long_factor" must be 4 numbers',
        ),
        (
            "LlamaForCausalLM",
            {"rope_scaling": {"rope_type": "yarn", "factor": 2.0}},
            'missing "original_max_position_embeddings"',
        ),
        (
            "LlamaForCausalLM",
            {"rope_scaling": {"rope_type": "longrope"}},
            'unsupported rope scaling type "longrope"',
        ),
    ],
)
def test_settings_llama_cpp_cannot_reproduce(
    tmp_path: Path, architecture: str, overrides: dict[str, Any], message: str
) -> None:
    write_checkpoint(tmp_path, architecture, **overrides)
    with pytest.raises(
        ConvertError, match=f"^config[.]json.*{message.replace('(', '.').replace('[', '.')}"
    ):
        plan_model(tmp_path)
