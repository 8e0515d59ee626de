"""Checkpoint layouts: tied embeddings, rotary buffers, BF16 and mixed dtypes, sharded files,
configs without `architectures` or `vocab_size`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from pollama.convert.errors import ConvertError
from pollama.convert.model import plan_model
from tests.convert.test_plan_model import config_for, stub_tokenizer, write_checkpoint
from tests.convert.test_safetensors_source import write_raw

__all__ = ["stub_tokenizer"]  # the autouse fixture, active here too


def test_tied_embeddings_write_no_output(tmp_path: Path) -> None:
    lm_head = np.zeros((48, 32), np.float16)
    write_checkpoint(tmp_path, "Qwen2ForCausalLM", extra={"lm_head.weight": lm_head})
    names = [t.name for t in plan_model(tmp_path).tensors]
    assert "output.weight" not in names and "token_embd.weight" in names  # a saved copy is dropped


def test_untied_needs_lm_head(tmp_path: Path) -> None:
    write_checkpoint(tmp_path, "LlamaForCausalLM", drop=("lm_head.weight",))
    with pytest.raises(ConvertError, match=r"^missing tensor lm_head\.weight$"):
        plan_model(tmp_path)


def test_rotary_buffers_are_dropped(tmp_path: Path) -> None:
    inv_freq = np.ones(4, np.float32)
    write_checkpoint(
        tmp_path,
        "LlamaForCausalLM",
        extra={"model.layers.0.self_attn.rotary_emb.inv_freq": inv_freq},
    )
    assert all("rotary" not in t.name for t in plan_model(tmp_path).tensors)


def test_bf16_is_kept_bit_exact(tmp_path: Path) -> None:
    write_checkpoint(tmp_path, "Qwen2ForCausalLM", dtype=np.float32)
    tensors = load_file(str(tmp_path / "model.safetensors"))
    raw = {}
    for name, array in tensors.items():
        bits = (array.view(np.uint32) >> 16).astype(np.uint16)
        raw[name] = ("BF16", array.shape, bits.tobytes())
    write_raw(tmp_path / "model.safetensors", raw)
    plan = plan_model(tmp_path)
    assert plan.file_type == "BF16"
    planned = {t.name: t for t in plan.tensors}
    embd = planned["token_embd.weight"]
    assert embd.dtype == "BF16"
    expected = (tensors["model.embed_tokens.weight"].view(np.uint32) >> 16).astype(np.uint16)
    assert np.array_equal(embd.load(), expected)
    norm = planned["blk.0.attn_norm.weight"]
    assert norm.dtype == "F32"
    widened = (tensors["model.layers.0.input_layernorm.weight"].view(np.uint32) >> 16 << 16).view(
        np.float32
    )
    assert np.array_equal(norm.load(), widened)


def test_mixed_dtypes_follow_the_majority(tmp_path: Path) -> None:
    tensors = write_checkpoint(tmp_path, "LlamaForCausalLM", dtype=np.float16)
    tensors["lm_head.weight"] = tensors["lm_head.weight"].astype(np.float32)
    tensors["model.embed_tokens.weight"] = tensors["model.embed_tokens.weight"].astype(np.float32)
    save_file(tensors, str(tmp_path / "model.safetensors"))
    plan = plan_model(tmp_path)  # 2 × 48×32 in F32 against 2 layers of F16
    assert plan.file_type == "F16"
    output = {t.name: t for t in plan.tensors}["output.weight"]
    assert output.dtype == "F16"
    assert np.array_equal(output.load(), tensors["lm_head.weight"].astype(np.float16))


def test_sharded_checkpoint_with_index(tmp_path: Path) -> None:
    tensors = write_checkpoint(tmp_path, "LlamaForCausalLM")
    (tmp_path / "model.safetensors").unlink()
    names = sorted(tensors)
    first, second = names[: len(names) // 2], names[len(names) // 2 :]
    save_file({n: tensors[n] for n in first}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({n: tensors[n] for n in second}, str(tmp_path / "model-00002-of-00002.safetensors"))
    index = {n: "model-00001-of-00002.safetensors" for n in first}
    index.update({n: "model-00002-of-00002.safetensors" for n in second})
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": index}))
    assert len(plan_model(tmp_path).tensors) == len(tensors)
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(
        ConvertError,
        match=r"^model-00002-of-00002\.safetensors: listed in model\.safetensors\.index\.json ",
    ):
        plan_model(tmp_path)


def test_architecture_from_model_type(tmp_path: Path) -> None:
    config = config_for("Gemma3ForCausalLM")
    del config["architectures"]
    write_checkpoint(tmp_path, "Gemma3ForCausalLM", config=config)
    assert plan_model(tmp_path).architecture == "gemma3"


def test_vocab_size_from_the_embeddings(tmp_path: Path, stub_tokenizer: list[int]) -> None:
    config = config_for("Gemma3ForCausalLM")
    write_checkpoint(tmp_path, "Gemma3ForCausalLM", config=config)
    del config["vocab_size"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    plan_model(tmp_path)
    assert stub_tokenizer == [48]
