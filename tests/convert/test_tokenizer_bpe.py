"""tokenizer.json vocabularies: small BPE tokenizers trained with `tokenizers`, converted, and
tokenized by llama.cpp from a vocabulary-only GGUF exactly as `tokenizers` encodes them."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gguf import GGUFWriter
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from pollama.convert.errors import ConvertError
from pollama.convert.plan import KV
from pollama.convert.pretokenizer import GPT2, LLAMA3, QWEN2, TEKKEN, pre_tokenizer_name
from pollama.convert.tokenizer import tokenizer_metadata

CORPUS = [
    "Hello world! The quick brown fox jumps over the lazy dog. I'm sure we'll see.",
    "def add(a: int, b: int) -> int:\n    return a + b  # the sum\n",
    "안녕하세요, 만나서 반갑습니다. 한국어 문장입니다.",
    "Numbers: 1 22 333 4444 55555, emoji 🦙🚀 and tabs\t\tand   spaces.",
]
MIXED_TEXT = (
    "Hello, world! It's 2024 and I'VE got 1234567 reasons.\n"
    "안녕하세요 세계! 我想在apple工作 нещо на Български\n"
    "def add(a, b):\n    return a + b  # sum\n\n\n"
    "Emoji: 🦙🚀✨👍🏽 and  tabs\t\tand   spaces.   \n"
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def write_vocab_gguf(path: Path, kvs: list[KV]) -> Path:
    """A GGUF with tiny llama hyperparameters, the given tokenizer metadata and no tensors:
    enough for llama.cpp to load its vocabulary (vocab_only)."""
    writer = GGUFWriter(str(path), "llama")
    writer.add_context_length(64)
    writer.add_embedding_length(16)
    writer.add_block_count(1)
    writer.add_feed_forward_length(32)
    writer.add_head_count(2)
    writer.add_layer_norm_rms_eps(1e-5)
    for kv in kvs:
        writer.add_key_value(kv.key, kv.value, kv.type, sub_type=kv.sub_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@contextlib.contextmanager
def vocab_only(path: Path) -> Iterator[Any]:
    from llama_cpp import Llama

    model = Llama(model_path=str(path), vocab_only=True, n_ctx=16, n_threads=1, verbose=False)
    try:
        yield model
    finally:
        model.close()


def llama_cpp_tokens(directory: Path, vocab_size: int, text: str) -> list[int]:
    gguf = write_vocab_gguf(directory / "vocab.gguf", tokenizer_metadata(directory, vocab_size))
    with vocab_only(gguf) as model:
        return [int(t) for t in model.tokenize(text.encode(), add_bos=False, special=True)]


def byte_level_tokenizer(regex: str | None, *, ignore_merges: bool = False) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if regex is None:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(regex), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=420,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer)
    tokenizer.add_tokens(["userword"])
    return tokenizer


def save(tokenizer: Tokenizer, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    return directory


def metadata_dict(directory: Path, vocab_size: int) -> dict[str, Any]:
    return {kv.key: kv.value for kv in tokenizer_metadata(directory, vocab_size)}


@pytest.mark.engine
@pytest.mark.parametrize(
    ("regex", "ignore_merges", "pre"),
    [(LLAMA3, True, "llama-bpe"), (QWEN2, False, "qwen2"), (None, False, "gpt-2")],
    ids=["llama3", "qwen2", "gpt2"],
)
def test_llama_cpp_tokenizes_byte_level_bpe_like_tokenizers(
    tmp_path: Path, regex: str | None, ignore_merges: bool, pre: str
) -> None:
    tokenizer = byte_level_tokenizer(regex, ignore_merges=ignore_merges)
    directory = save(tokenizer, tmp_path)
    vocab_size = tokenizer.get_vocab_size() + 5  # the embedding has padding rows
    assert metadata_dict(directory, vocab_size)["tokenizer.ggml.pre"] == pre
    expected = tokenizer.encode(MIXED_TEXT).ids
    assert llama_cpp_tokens(directory, vocab_size, MIXED_TEXT) == expected
    assert tokenizer.token_to_id("<|im_start|>") in expected


def test_merges_in_both_formats_become_space_separated_pairs(tmp_path: Path) -> None:
    tokenizer = byte_level_tokenizer(QWEN2)
    config = json.loads(tokenizer.to_str())
    pairs = config["model"]["merges"]
    assert isinstance(pairs[0], list)  # tokenizers 0.2x writes [a, b] pairs
    directory = save(tokenizer, tmp_path / "pairs")
    from_pairs = metadata_dict(directory, 500)["tokenizer.ggml.merges"]
    config["model"]["merges"] = [f"{a} {b}" for a, b in pairs]
    (tmp_path / "strings").mkdir()
    (tmp_path / "strings" / "tokenizer.json").write_text(json.dumps(config))
    from_strings = metadata_dict(tmp_path / "strings", 500)["tokenizer.ggml.merges"]
    assert from_pairs == from_strings == [f"{a} {b}" for a, b in pairs]


def minimal_tokenizer_json(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "added_tokens": [
            {"id": 0, "content": "<|endoftext|>", "special": True},
            {"id": 5, "content": "<|im_start|>", "special": False},
            {"id": 6, "content": "hello world", "special": False},
        ],
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
        "model": {
            "type": "BPE",
            "vocab": {"<|endoftext|>": 0, "a": 1, "b": 2, "ab": 3},
            "merges": ["a b"],
        },
    }
    config.update(changes)
    return config


def write_json(directory: Path, config: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tokenizer.json").write_text(json.dumps(config))
    return directory


def test_token_types_gaps_and_padding(tmp_path: Path) -> None:
    got = metadata_dict(write_json(tmp_path, minimal_tokenizer_json()), 9)
    assert got["tokenizer.ggml.tokens"] == [
        "<|endoftext|>", "a", "b", "ab", "[PAD4]", "<|im_start|>", "hello world",
        "[PAD7]", "[PAD8]",
    ]  # fmt: skip
    # special -> CONTROL; "<|...|>" looks special -> CONTROL; other added -> USER_DEFINED
    assert got["tokenizer.ggml.token_type"] == [3, 1, 1, 1, 5, 3, 4, 5, 5]
    assert got["tokenizer.ggml.merges"] == ["a b"]
    assert "tokenizer.ggml.scores" not in got


def test_more_tokens_than_embedding_rows_is_refused(tmp_path: Path) -> None:
    directory = write_json(tmp_path, minimal_tokenizer_json(added_tokens=[]))
    with pytest.raises(ConvertError, match=r"tokenizer.json: token id 3 does not fit .* 3 tokens"):
        tokenizer_metadata(directory, 3)


def test_added_tokens_past_the_embedding_are_dropped(tmp_path: Path) -> None:
    added = [{"id": 4, "content": "<extra>", "special": True}]
    directory = write_json(tmp_path, minimal_tokenizer_json(added_tokens=added))
    assert metadata_dict(directory, 4)["tokenizer.ggml.tokens"] == ["<|endoftext|>", "a", "b", "ab"]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"type": "Unigram", "vocab": [["a", 0.0]]}, "unsupported tokenizer model 'Unigram'"),
        ({"type": "WordPiece", "vocab": {"a": 0}}, "unsupported tokenizer model 'WordPiece'"),
    ],
)
def test_other_tokenizer_models_are_refused(
    tmp_path: Path, model: dict[str, Any], message: str
) -> None:
    directory = write_json(tmp_path, minimal_tokenizer_json(model=model))
    with pytest.raises(ConvertError, match=message):
        tokenizer_metadata(directory, 10)


def test_bpe_without_byte_level_or_byte_fallback_is_refused(tmp_path: Path) -> None:
    config = minimal_tokenizer_json(pre_tokenizer={"type": "Whitespace"})
    with pytest.raises(ConvertError, match="neither a ByteLevel pre-tokenizer nor"):
        tokenizer_metadata(write_json(tmp_path, config), 10)


def test_byte_fallback_without_sentencepiece_spaces_is_refused(tmp_path: Path) -> None:
    config = minimal_tokenizer_json(pre_tokenizer=None)
    config["model"]["byte_fallback"] = True
    with pytest.raises(ConvertError, match="byte fallback without"):
        tokenizer_metadata(write_json(tmp_path, config), 10)


@pytest.mark.parametrize("merge", ["a", "a b c", 7, ["a"]])
def test_malformed_merges_are_refused(tmp_path: Path, merge: Any) -> None:
    config = minimal_tokenizer_json()
    config["model"]["merges"] = [merge]
    with pytest.raises(ConvertError, match=r"tokenizer\.json: merge 0 is malformed"):
        tokenizer_metadata(write_json(tmp_path, config), 10)


def test_no_tokenizer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match=r"no tokenizer found: expected tokenizer\.model or"):
        tokenizer_metadata(tmp_path, 10)


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ConvertError, match=r"tokenizer\.json: invalid JSON"):
        tokenizer_metadata(tmp_path, 10)


def split(regex: str) -> dict[str, Any]:
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


def sequence(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Sequence", "pretokenizers": list(parts)}


BYTES = {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}
BYTES_GPT2 = {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}
DIGITS = {"type": "Digits", "individual_digits": True}
EXPANDED = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"


@pytest.mark.parametrize(
    ("pre_tokenizer", "name"),
    [
        (sequence(split(LLAMA3), BYTES), "llama-bpe"),
        # llama.cpp's expanded form of the case-insensitive contractions is the same regex
        (
            sequence(split(LLAMA3.replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", EXPANDED)), BYTES),
            "llama-bpe",
        ),
        (sequence(split(QWEN2), BYTES), "qwen2"),
        (sequence(split(TEKKEN), BYTES), "tekken"),
        (BYTES_GPT2, "gpt-2"),
        (sequence(split(GPT2), BYTES), "gpt-2"),
        (sequence(DIGITS, BYTES_GPT2), "smollm"),
        # DeepSeek Coder: literal CR LF in the first regex, digits as a Digits step
        (
            sequence(
                *map(split, ["[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", "[一-龥ࠀ-一가-\ud7ff]+"]),
                DIGITS,
                BYTES,
            ),
            "deepseek-coder",
        ),
    ],
)
def test_pre_tokenizer_is_named_by_its_regexes(pre_tokenizer: dict[str, Any], name: str) -> None:
    assert pre_tokenizer_name(pre_tokenizer) == name


@pytest.mark.parametrize(
    "pre_tokenizer",
    [
        sequence(split(r"\p{L}+|\s+"), BYTES),
        sequence(split(LLAMA3), split(r"\p{N}"), BYTES),
        {**BYTES_GPT2, "add_prefix_space": True},
        sequence({"type": "Whitespace"}),
    ],
)
def test_unknown_pre_tokenizers_are_default_with_a_warning(
    pre_tokenizer: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama.convert.pretokenizer"):
        assert pre_tokenizer_name(pre_tokenizer) == "default"
    assert "unrecognized pre-tokenizer" in caplog.text
