"""Adapter fit, from the headers: llama.cpp's shape and architecture rules, checked at create."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollama.errors import BadRequest
from pollama.gguf.adapter_fit import adapter_problems, check_adapter_fits
from pollama.gguf.metadata import GGUFInfo, read_gguf
from tests.fixtures.lora import write_lora
from tests.fixtures.models import gemma_gguf_path


@pytest.fixture(scope="module")
def base() -> GGUFInfo:
    return read_gguf(gemma_gguf_path())


def test_a_lora_made_for_the_base_fits(base: GGUFInfo, tmp_path: Path) -> None:
    assert adapter_problems(read_gguf(write_lora(tmp_path / "a.gguf", 1)), base) == []


def test_wrong_shapes_and_architectures_are_named(base: GGUFInfo, tmp_path: Path) -> None:
    shapes = adapter_problems(read_gguf(write_lora(tmp_path / "s.gguf", 1, wrong_shape=True)), base)
    assert shapes and "has the wrong shape for the base model" in shapes[0]
    arch = adapter_problems(
        read_gguf(write_lora(tmp_path / "l.gguf", 1, architecture="llama")), base
    )
    assert arch == ["adapter architecture 'llama' does not match the base model's 'gemma3'"]
    with pytest.raises(BadRequest, match=r"s\.gguf: the adapter does not fit the base model"):
        check_adapter_fits("s.gguf", read_gguf(tmp_path / "s.gguf"), base)
