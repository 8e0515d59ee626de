"""The real gemma3 270M Q4_K_M GGUF: the numbers Ollama reports for it."""

from __future__ import annotations

import time

import pytest

from pollama.gguf import metadata
from pollama.gguf.metadata import GGUFInfo
from tests.fixtures.models import gemma_gguf_path


@pytest.fixture(scope="module")
def gemma() -> GGUFInfo:
    return metadata.read_gguf(gemma_gguf_path())


def test_details_match_ollama(gemma: GGUFInfo) -> None:
    assert metadata.details(gemma) == {
        "parent_model": "",
        "format": "gguf",
        "family": "gemma3",
        "families": ["gemma3"],
        "parameter_size": "268.10M",
        "quantization_level": "Q4_K_M",
    }


def test_config_fields(gemma: GGUFInfo) -> None:
    assert metadata.config_fields(gemma) == {
        "model_format": "gguf",
        "model_family": "gemma3",
        "model_families": ["gemma3"],
        "model_type": "268.10M",
        "file_type": "Q4_K_M",
        "context_length": 32768,
        "embedding_length": 640,
    }


def test_summary_fields(gemma: GGUFInfo) -> None:
    assert gemma.version == 3
    assert gemma.architecture == "gemma3"
    assert gemma.general_type == "model"
    assert gemma.parameter_count == 268_098_176
    assert (gemma.context_length, gemma.embedding_length, gemma.block_count) == (32768, 640, 18)
    assert gemma.chat_template is None  # this file carries no Jinja template
    assert gemma.pooling_type is None
    assert not (gemma.is_adapter or gemma.is_projector or gemma.has_vision)
    assert gemma.alignment == 32
    assert gemma.data_offset % 32 == 0
    assert gemma.data_offset + gemma.tensor_data_bytes <= gemma_gguf_path().stat().st_size


def test_model_info(gemma: GGUFInfo) -> None:
    info = metadata.model_info(gemma)
    assert list(info) == sorted(info)
    assert "general.name" not in info and "tokenizer.chat_template" not in info
    assert info["general.architecture"] == "gemma3"
    assert info["general.parameter_count"] == 268_098_176
    assert info["general.file_type"] == 15
    assert info["general.quantization_version"] == 2
    assert info["gemma3.context_length"] == 32768
    assert info["gemma3.attention.head_count_kv"] == 1
    assert info["gemma3.attention.layer_norm_rms_epsilon"] == 1e-06  # float32 printed short
    assert info["gemma3.rope.freq_base"] == 1_000_000.0
    assert info["tokenizer.ggml.bos_token_id"] == 2
    assert info["tokenizer.ggml.add_bos_token"] is True
    assert info["general.tags"] == ["gemma3", "gemma", "google", "text-generation"]
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
        assert info[key] == []


def test_model_info_verbose_keeps_vocabulary(gemma: GGUFInfo) -> None:
    info = metadata.model_info(gemma, verbose=True)
    tokens = info["tokenizer.ggml.tokens"]
    assert len(tokens) == 262_144
    assert tokens[:3] == ["<pad>", "<eos>", "<bos>"]
    assert len(info["tokenizer.ggml.scores"]) == 262_144
    assert info["tokenizer.ggml.token_type"][:2] == [3, 3]
    tokens.clear()  # a copy: the cached info is untouched
    assert len(gemma.kv["tokenizer.ggml.tokens"]) == 262_144


def test_tensors(gemma: GGUFInfo) -> None:
    tensors = metadata.tensor_list(gemma)
    assert len(tensors) == 236
    by_name = {t["name"]: t for t in tensors}
    assert by_name["token_embd.weight"] == {
        "name": "token_embd.weight",
        "type": "Q8_0",
        "shape": [640, 262144],
    }
    assert by_name["output_norm.weight"] == {
        "name": "output_norm.weight",
        "type": "F32",
        "shape": [640],
    }
    assert {t["type"] for t in tensors} == {"F32", "Q5_0", "Q4_K", "Q8_0", "Q6_K"}
    embd = next(t for t in gemma.tensors if t.name == "token_embd.weight")
    assert embd.n_bytes == 640 * 262144 // 32 * 34
    assert gemma.tensor_data_bytes == sum(t.n_bytes for t in gemma.tensors) == 246_587_904


def test_capabilities_and_kind(gemma: GGUFInfo) -> None:
    assert metadata.capabilities(gemma) == ["completion"]
    assert metadata.layer_kind(gemma) == "model"


def test_reading_is_fast() -> None:
    # gguf.GGUFReader takes ~20 s on this file; metadata-only parsing must stay well under 1 s
    # on an idle machine (the bound is loose for a busy 2-core box).
    started = time.perf_counter()
    metadata.read_gguf(gemma_gguf_path())
    assert time.perf_counter() - started < 5
