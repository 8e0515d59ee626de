"""The packaged gemma3 270M exported as a Hugging Face checkpoint and imported back: the GGUF
that comes out is llama.cpp's own conversion of it, tensor for tensor, token for token.

The original is the F16 copy of the packaged model; the export is its exact inverse (F16
matrices, F32 norms), so the import must give the same F16 matrices bit for bit, the same norms
(up to one float32 rounding of w - 1 + 1), the same vocabulary, and the same greedy output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pollama.convert.adapter import plan_adapter
from pollama.convert.model import plan_model
from pollama.convert.writer import write_plan
from pollama.gguf.metadata import read_gguf
from tests.convert.hf_export import GEMMA_CHAT_TEMPLATE, export_gemma3_to_hf, hf_config
from tests.convert.peft_fixture import random_lora, write_gguf_lora, write_peft_adapter
from tests.fixtures.float_gguf import gemma_float_gguf

pytestmark = pytest.mark.engine

MIXED_TEXT = (
    "Hello, world! The quick brown fox jumps over 13 lazy dogs.\n"
    "안녕하세요, 만나서 반갑습니다. 한국어 문장도 잘 나뉘어야 합니다.\n"
    "def add(a: int, b: int) -> int:\n    return a + b  # 두 수의 합\n\n\n"
    "Emoji: 🦙🚀✨👍🏽 and  tabs\t\tand   spaces.\n"
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n"
)
PROMPT = (
    "<start_of_turn>user\nWrite a short poem about the sea.<end_of_turn>\n<start_of_turn>model\n"
)
NUM_PREDICT = 24
# Original metadata the import must reproduce exactly (general.* and the file type may differ).
_TOKENIZER_KEYS = (
    "tokenizer.ggml.model",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.scores",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.padding_token_id",
    "tokenizer.ggml.add_bos_token",
    "tokenizer.ggml.add_eos_token",
    "tokenizer.ggml.add_space_prefix",
)


@pytest.fixture(scope="module")
def original() -> Path:
    return gemma_float_gguf("F16")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, original: Path) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("gemma-round-trip")
    checkpoint = folder / "gemma-3-270m"
    export_gemma3_to_hf(original, checkpoint)
    output = folder / "imported.gguf"
    write_plan(plan_model(checkpoint), output)
    yield output
    output.unlink(missing_ok=True)  # ~540 MB each: do not keep them for the whole session
    for file in checkpoint.iterdir():
        file.unlink()


_ARRAY_TYPES = {"F16": np.float16, "F32": np.float32}


def tensors(path: Path) -> dict[str, tuple[str, np.ndarray]]:
    """Each tensor's GGML type and data (numpy shape: the reversed ne), mapped from the file."""
    info = read_gguf(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for tensor in info.tensors:
        start = info.data_offset + tensor.offset
        raw = data[start : start + tensor.n_bytes]
        out[tensor.name] = (
            tensor.type,
            raw.view(_ARRAY_TYPES[tensor.type]).reshape(tensor.shape[::-1]),
        )
    return out


def test_every_tensor_is_the_original(original: Path, imported: Path) -> None:
    expected, got = tensors(original), tensors(imported)
    assert sorted(got) == sorted(expected)
    for name, (tensor_type, array) in got.items():
        source_type, source = expected[name]
        assert (tensor_type, array.shape) == (source_type, source.shape), name
        if name.endswith("norm.weight"):
            np.testing.assert_allclose(array, source, rtol=1e-6, err_msg=name)
        else:
            assert np.array_equal(array, source), name


def test_metadata_matches_the_original_and_carries_the_chat_template(
    original: Path, imported: Path
) -> None:
    expected, got = read_gguf(original).kv, read_gguf(imported).kv
    assert got["general.architecture"] == "gemma3"
    assert got["general.file_type"] == 1  # MOSTLY_F16
    architecture_keys = [key for key in expected if key.startswith("gemma3.")]
    keys = [*architecture_keys, *_TOKENIZER_KEYS]
    assert [difference(key, expected, got) for key in keys if key_differs(key, expected, got)] == []
    assert got["tokenizer.chat_template"] == GEMMA_CHAT_TEMPLATE


def key_differs(key: str, expected: dict[str, Any], got: dict[str, Any]) -> bool:
    if key not in got:
        return True
    if isinstance(expected[key], float):
        return bool(got[key] != pytest.approx(expected[key], rel=1e-6))
    return bool(got[key] != expected[key])


def difference(key: str, expected: dict[str, Any], got: dict[str, Any]) -> str:
    """What differs, shortly: for arrays, the first few differing indices."""
    if key not in got:
        return f"{key}: missing"
    want, have = expected[key], got[key]
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        indices = [i for i, (a, b) in enumerate(zip(want, have, strict=True)) if a != b]
        shown = ", ".join(f"[{i}] {want[i]!r} != {have[i]!r}" for i in indices[:5])
        return f"{key}: {len(indices)} differ: {shown}"
    return f"{key}: {want!r} != {have!r}"


@contextlib.contextmanager
def llama(path: Path, **options: Any) -> Iterator[Any]:
    from llama_cpp import Llama

    model = Llama(model_path=str(path), n_ctx=256, n_threads=2, verbose=False, **options)
    try:
        yield model
    finally:
        model.close()


def tokenizations(path: Path) -> list[list[int]]:
    text = MIXED_TEXT.encode()
    with llama(path, vocab_only=True) as model:
        return [
            model.tokenize(text, add_bos=True, special=True),
            model.tokenize(text, add_bos=False, special=False),
        ]


def test_llama_cpp_tokenizes_mixed_text_the_same(original: Path, imported: Path) -> None:
    expected = tokenizations(original)
    assert tokenizations(imported) == expected
    assert 105 in expected[0] and 105 not in expected[1]  # <start_of_turn> only when special


def greedy(path: Path, lora: Path | None = None) -> list[int]:
    with llama(path, lora_path=str(lora) if lora else None) as model:
        prompt = model.tokenize(PROMPT.encode(), add_bos=True, special=True)
        tokens: list[int] = []
        for token in model.generate(prompt, top_k=1, temp=0.0, repeat_penalty=1.0):
            if token == model.token_eos() or len(tokens) == NUM_PREDICT:
                break
            tokens.append(int(token))
        return tokens


def test_greedy_output_equals_the_originals(original: Path, imported: Path) -> None:
    expected = greedy(original)
    assert len(expected) == NUM_PREDICT
    assert greedy(imported) == expected


def test_a_peft_adapter_acts_on_the_import_as_the_hand_made_one_on_the_original(
    original: Path, imported: Path, tmp_path: Path
) -> None:
    """A PEFT adapter for the round-tripped gemma, converted, over the imported model gives the
    output the same adapter written by hand as a GGUF LoRA gives over the original."""
    kv = read_gguf(imported).kv
    weights = random_lora(hf_config(kv, "F16", tied=True), seed=11, scale=0.07)
    converted = tmp_path / "converted.gguf"
    write_plan(plan_adapter(write_peft_adapter(tmp_path / "peft", weights), kv), converted)
    hand_made = write_gguf_lora(tmp_path / "hand-made.gguf", weights)
    adapted = greedy(imported, converted)
    assert adapted == greedy(original, hand_made)
    assert adapted != greedy(imported)
