"""Refusals of planning: the config, the files, and tensors that are missing, misshapen, of an
unsupported dtype or unknown to the architecture. Each names the key, file or tensor."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from pollama.convert.errors import ConvertError
from pollama.convert.model import plan_model
from tests.convert.test_plan_model import config_for, stub_tokenizer, write_checkpoint

__all__ = ["stub_tokenizer"]  # the autouse fixture, active here too


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"architectures": ["FooForCausalLM"]}, r'^unsupported architecture "FooForCausalLM"$'),
        ({"hidden_size": None}, r'^config\.json: missing "hidden_size"$'),
        ({"hidden_size": "big"}, r'^config\.json: "hidden_size" is "big", expected an integer$'),
        (
            {"num_key_value_heads": 3},
            r'"num_attention_heads" 4 is not a multiple of "num_key_value_heads" 3',
        ),
        (
            {"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}},
            r'unsupported rope scaling type "dynamic"',
        ),
        (
            {"hidden_act": "silu", "attention_bias": True},
            r"^missing tensor model\.layers\.0\.self_attn\.q_proj\.bias$",
        ),
    ],
)
def test_config_refusals(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    write_checkpoint(tmp_path, "LlamaForCausalLM")
    config = {**config_for("LlamaForCausalLM"), **change}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConvertError, match=message):
        plan_model(tmp_path)


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match=r"^config\.json: no such file in the model directory$"):
        plan_model(tmp_path)


def test_no_safetensors(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config_for("LlamaForCausalLM")))
    with pytest.raises(
        ConvertError, match=r"^no model\*\.safetensors files in the model directory$"
    ):
        plan_model(tmp_path)
    save_file({"x": np.ones(1, np.float32)}, str(tmp_path / "consolidated.safetensors"))
    with pytest.raises(
        ConvertError, match=r"^consolidated\.safetensors: Mistral's own checkpoint format"
    ):
        plan_model(tmp_path)


def test_missing_tensor(tmp_path: Path) -> None:
    write_checkpoint(tmp_path, "Qwen3ForCausalLM", drop=("model.layers.1.self_attn.k_norm.weight",))
    with pytest.raises(
        ConvertError, match=r"^missing tensor model\.layers\.1\.self_attn\.k_norm\.weight$"
    ):
        plan_model(tmp_path)


def test_wrong_shape(tmp_path: Path) -> None:
    bad = np.zeros((64, 16), np.float16)
    write_checkpoint(
        tmp_path, "LlamaForCausalLM", extra={"model.layers.0.self_attn.q_proj.weight": bad}
    )
    with pytest.raises(
        ConvertError,
        match=re.escape(
            "model.layers.0.self_attn.q_proj.weight: shape (64, 16), expected (32, 32)"
        ),
    ):
        plan_model(tmp_path)


def test_unsupported_dtype(tmp_path: Path) -> None:
    ints = np.zeros(32, np.int32)
    write_checkpoint(tmp_path, "LlamaForCausalLM", extra={"model.norm.weight": ints})
    with pytest.raises(ConvertError, match=r"^model\.norm\.weight: unsupported tensor dtype I32"):
        plan_model(tmp_path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("model.layers.0.mlp.experts.weight", r"unexpected tensor for LlamaForCausalLM$"),
        (
            "model.layers.2.input_layernorm.weight",
            r"unexpected tensor \(config\.json does not call for it\)$",
        ),
        (
            "model.layers.0.self_attn.q_proj.bias",
            r"unexpected tensor \(config\.json does not call for it\)$",
        ),
        ("vision_tower.patch_embedding.weight", r"unexpected tensor for LlamaForCausalLM$"),
    ],
)
def test_unknown_tensors_are_refused_by_name(tmp_path: Path, name: str, message: str) -> None:
    write_checkpoint(tmp_path, "LlamaForCausalLM", extra={name: np.zeros(32, np.float16)})
    with pytest.raises(ConvertError, match=f"^{name.replace('.', r'[.]')}: {message}"):
        plan_model(tmp_path)
