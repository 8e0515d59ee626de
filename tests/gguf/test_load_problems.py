"""`load_problems`: what a GGUF lacks for llama.cpp to load it (issue 10 item 11)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from pollama.gguf import metadata
from tests.fixtures.synthetic_gguf import write_tiny_gguf


def problems(tmp_path: Path, **kwargs: Any) -> list[str]:
    return metadata.load_problems(
        metadata.read_gguf(write_tiny_gguf(tmp_path / "t.gguf", **kwargs))
    )


def test_the_tiny_fixture_is_loadable(tmp_path: Path) -> None:
    assert problems(tmp_path) == []


def test_the_24_byte_gguf(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    assert metadata.load_problems(metadata.read_gguf(path)) == [
        "no tensors",
        "missing general.architecture, tokenizer.ggml.model",
    ]


def test_every_missing_model_key_is_named(tmp_path: Path) -> None:
    gone = {k: None for k in ("llama.block_count", "llama.context_length", "tokenizer.ggml.model")}
    assert problems(tmp_path, extra_kv=gone) == [
        "missing llama.block_count, llama.context_length, tokenizer.ggml.model"
    ]


def test_adapters_need_their_type(tmp_path: Path) -> None:
    assert problems(tmp_path, general_type="adapter", extra_kv={"adapter.type": "lora"}) == []
    assert problems(tmp_path, general_type="adapter") == ["missing adapter.type"]


def test_projectors_need_no_text_model_keys(tmp_path: Path) -> None:
    clip = {"clip.block_count": None, "clip.has_vision_encoder": True, "tokenizer.ggml.model": None}
    assert problems(tmp_path, arch="clip", extra_kv=clip) == []
