"""Whether a GGUF can draft for a model: the vocabulary comparison and the kinds refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pollama.errors import BadRequest
from pollama.gguf.draft_fit import (
    TOKENS,
    Vocabulary,
    check_draft_fits,
    not_a_draft,
    tokens_digest,
    vocabulary_mismatch,
)
from pollama.gguf.metadata import read_gguf
from tests.fixtures.synthetic_gguf import VOCAB, write_tiny_gguf

KV: dict[str, Any] = {
    "tokenizer.ggml.model": "llama",
    TOKENS: ["<s>", "</s>", "ab", "c"],
    "tokenizer.ggml.bos_token_id": 0,
    "tokenizer.ggml.eos_token_id": 1,
}


def test_the_same_vocabulary_matches() -> None:
    assert vocabulary_mismatch(dict(KV), dict(KV)) is None
    assert Vocabulary.from_kv(KV) == Vocabulary("llama", 4, tokens_digest(KV[TOKENS]), 0, 1)


def test_the_digest_tells_token_boundaries_apart() -> None:
    assert tokens_digest(["ab", "c"]) != tokens_digest(["a", "bc"])
    assert tokens_digest([]) != tokens_digest([""])
    moved = {**KV, TOKENS: ["<s>", "</s>", "a", "bc"]}
    assert vocabulary_mismatch(moved, KV) == "token 2 is 'a', the model's is 'ab'"


def test_missing_keys_compare_as_absent() -> None:
    assert vocabulary_mismatch({}, {}) is None
    assert vocabulary_mismatch({}, KV) == "tokenizer '', the model's is 'llama'"
    no_bos = {k: v for k, v in KV.items() if k != "tokenizer.ggml.bos_token_id"}
    assert vocabulary_mismatch(no_bos, KV) == "BOS token none, the model's is 0"
    adds_eos = {**KV, "tokenizer.ggml.add_eos_token": True}
    assert vocabulary_mismatch(adds_eos, KV) == (
        "tokenizer.ggml.add_eos_token true, the model's is none"
    )


def test_the_kinds_that_cannot_draft(tmp_path: Path) -> None:
    model = read_gguf(write_tiny_gguf(tmp_path / "m.gguf"))
    assert not_a_draft(model) is None
    adapter = write_tiny_gguf(
        tmp_path / "a.gguf", general_type="adapter", extra_kv={"adapter.type": "lora"}
    )
    assert not_a_draft(read_gguf(adapter)) == "it is an adapter, not a model"
    embedder = read_gguf(write_tiny_gguf(tmp_path / "e.gguf", pooling_type=1))
    assert not_a_draft(embedder) == "it is an embedding model, which does not generate text"


def test_check_names_the_file_and_needs_a_model(tmp_path: Path) -> None:
    draft = read_gguf(write_tiny_gguf(tmp_path / "d.gguf"))
    check_draft_fits("d.gguf", draft, dict(draft.kv))
    with pytest.raises(BadRequest, match=r"^d\.gguf: a draft model needs a model to draft for$"):
        check_draft_fits("d.gguf", draft, None)
    other = {**draft.kv, TOKENS: VOCAB[:3]}
    with pytest.raises(BadRequest) as refused:
        check_draft_fits("d.gguf", draft, other)
    assert refused.value.message == (
        "d.gguf: the draft model's vocabulary does not match the model's: 8 tokens, the model has 3"
    )
