"""SentencePiece vocabularies: tokenizer.model files written by `spm_writer` (parsing, the
"llama" vocabulary made from them, llama.cpp tokenizing it as hand-worked BPE merges say), and
SentencePiece-style tokenizer.json files, which llama.cpp must tokenize as `tokenizers` does."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

from pollama.convert.errors import ConvertError
from pollama.convert.spm import parse_sentencepiece, read_sentencepiece
from pollama.convert.tokenizer import tokenizer_metadata
from tests.convert.spm_writer import (
    BYTE,
    CONTROL,
    NORMAL,
    UNIGRAM,
    UNKNOWN,
    byte_pieces,
    write_sentencepiece_model,
)
from tests.convert.test_tokenizer_bpe import (
    CORPUS,
    minimal_tokenizer_json,
    save,
    vocab_only,
    write_vocab_gguf,
)

SPACE = "\u2581"
# Merged pieces score higher the earlier BPE merges them; single characters score lowest.
MERGED = ["▁h", "ll", "▁he", "llo", "▁hello", "▁w", "or", "ld", "▁wor", "▁world"]
CHARS = [SPACE, "h", "e", "l", "o", "w", "r", "d"]
PIECES: list[tuple[str, float, int]] = [
    ("<unk>", 0.0, UNKNOWN),
    ("<s>", 0.0, CONTROL),
    ("</s>", 0.0, CONTROL),
    *byte_pieces(),
    *((piece, -float(rank + 1), NORMAL) for rank, piece in enumerate(MERGED)),
    *((char, -100.0 - rank, NORMAL) for rank, char in enumerate(CHARS)),
]
ID = {text: index for index, (text, _, _) in enumerate(PIECES)}


def write_model(directory: Path, *, add_dummy_prefix: bool = True, **options: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_sentencepiece_model(
        directory / "tokenizer.model", PIECES, add_dummy_prefix=add_dummy_prefix, **options
    )
    return directory


def metadata_dict(directory: Path, vocab_size: int) -> dict[str, Any]:
    return {kv.key: kv.value for kv in tokenizer_metadata(directory, vocab_size)}


def test_a_written_model_parses_back(tmp_path: Path) -> None:
    path = write_model(tmp_path, remove_extra_whitespaces=True) / "tokenizer.model"
    model = read_sentencepiece(path)
    assert model.pieces == [text for text, _, _ in PIECES]
    assert model.scores == [score for _, score, _ in PIECES]
    assert model.types == [piece_type for _, _, piece_type in PIECES]
    assert model.model_type == "bpe"
    assert model.add_dummy_prefix is True
    assert model.remove_extra_whitespaces is True


def test_unknown_fields_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.model"
    write_sentencepiece_model(path, PIECES[:3], add_dummy_prefix=False, model_type=UNIGRAM)
    data = path.read_bytes()
    # self_test_data (4, a message), a fixed64 (field 9), a varint (field 99), and a piece
    # with only its text: its score and type take the proto defaults (0.0, NORMAL).
    extra = b"\x22\x03\x0a\x01x" + b"\x49" + bytes(8) + b"\x98\x06\x05" + b"\x0a\x03\x0a\x01a"
    model = parse_sentencepiece(data + extra)
    assert model.pieces == ["<unk>", "<s>", "</s>", "a"]
    assert (model.scores[-1], model.types[-1]) == (0.0, NORMAL)
    assert model.model_type == "unigram"
    assert model.add_dummy_prefix is False


def test_without_normalizer_spec_the_proto_defaults_apply() -> None:
    model = parse_sentencepiece(b"\x0a\x05\x0a\x03<s>")
    assert model.add_dummy_prefix is True and model.remove_extra_whitespaces is True


@pytest.mark.parametrize("cut", [1, 2, 10, 40, -1])
def test_truncated_models_are_refused(tmp_path: Path, cut: int) -> None:
    data = (write_model(tmp_path) / "tokenizer.model").read_bytes()
    with pytest.raises(ConvertError, match=r"^tokenizer.model: truncated"):
        parse_sentencepiece(data[:cut])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no pieces"),
        (b"\x0f", "unsupported wire type 7"),
        (b"\x08\x01", "field 1 has wire type 0"),
        (b"\x0a\x04\x0a\x02\xff\xfe", "piece 0 is not valid UTF-8"),
        (b"\x0a\x05\x0a\x01a\x18\x09", "piece 0 .* unknown type 9"),
        (b"\x0a\x02\x10\x01", "piece 0 has no text"),
    ],
)
def test_malformed_models_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ConvertError, match=f"^tokenizer.model: {message}"):
        parse_sentencepiece(data)


def test_llama_vocabulary_is_padded_to_the_embedding(tmp_path: Path) -> None:
    got = metadata_dict(write_model(tmp_path), len(PIECES) + 2)
    assert got["tokenizer.ggml.model"] == "llama"
    assert got["tokenizer.ggml.pre"] == "default"
    n = len(PIECES)
    assert got["tokenizer.ggml.tokens"][-3:] == [CHARS[-1], f"[PAD{n}]", f"[PAD{n + 1}]"]
    assert got["tokenizer.ggml.scores"][-2:] == [-10000.0, -10000.0]
    assert got["tokenizer.ggml.token_type"][:4] == [UNKNOWN, CONTROL, CONTROL, BYTE]
    assert got["tokenizer.ggml.token_type"][-2:] == [5, 5]
    assert got["tokenizer.ggml.add_space_prefix"] is True
    assert "tokenizer.ggml.merges" not in got


def test_more_pieces_than_embedding_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match=r"tokenizer\.model: 277 pieces do not fit .* 276"):
        tokenizer_metadata(write_model(tmp_path), len(PIECES) - 1)


def test_added_tokens_go_over_the_pieces(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    directory = write_model(tmp_path)
    n = len(PIECES)
    (directory / "added_tokens.json").write_text(json.dumps({"my▁word": n + 1}))
    decoder = {
        "0": {"content": "<unk>", "special": True},
        str(n): {"content": "<start_of_turn>", "special": True},
        str(n + 2): {"content": "<unused0>", "special": False},
        str(n + 9): {"content": "<image>", "special": True},
    }
    config = {"added_tokens_decoder": decoder}
    (directory / "tokenizer_config.json").write_text(json.dumps(config))
    with caplog.at_level(logging.WARNING):
        got = metadata_dict(directory, n + 3)
    assert got["tokenizer.ggml.tokens"][n:] == ["<start_of_turn>", "my word", "<unused0>"]
    assert got["tokenizer.ggml.token_type"][n:] == [3, 4, 3]  # <unused..> looks special
    assert got["tokenizer.ggml.scores"][n:] == [-1000.0] * 3
    assert got["tokenizer.ggml.token_type"][0] == CONTROL  # a special <unk>, as llama.cpp has it
    assert f"'<image>': id {n + 9} is past the vocabulary" in caplog.text


def test_tokenizer_model_is_preferred_over_tokenizer_json(tmp_path: Path) -> None:
    directory = write_model(tmp_path)
    (directory / "tokenizer.json").write_text(json.dumps(minimal_tokenizer_json()))
    assert metadata_dict(directory, len(PIECES))["tokenizer.ggml.model"] == "llama"


def test_a_tokenizer_model_that_is_not_sentencepiece_falls_back_to_tokenizer_json(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "tokenizer.model").write_bytes(b"IQ== 0\nIg== 1\n")  # tiktoken's format
    (tmp_path / "tokenizer.json").write_text(json.dumps(minimal_tokenizer_json()))
    with caplog.at_level(logging.WARNING):
        assert metadata_dict(tmp_path, 10)["tokenizer.ggml.model"] == "gpt2"
    assert "using tokenizer.json" in caplog.text
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ConvertError, match=r"^tokenizer\.model: "):
        tokenizer_metadata(tmp_path, 10)


def llama_cpp_tokens(
    directory: Path, text: str, *, vocab_size: int = len(PIECES), add_bos: bool = False
) -> list[int]:
    gguf = write_vocab_gguf(directory / "vocab.gguf", tokenizer_metadata(directory, vocab_size))
    with vocab_only(gguf) as model:
        return [int(t) for t in model.tokenize(text.encode(), add_bos=add_bos, special=True)]


@pytest.mark.engine
def test_llama_cpp_merges_by_score_with_a_dummy_prefix(tmp_path: Path) -> None:
    directory = write_model(tmp_path, add_dummy_prefix=True)
    assert llama_cpp_tokens(directory, "hello world") == [ID["▁hello"], ID["▁world"]]
    # "é" is no piece: its UTF-8 bytes; a special token in the text stays one token.
    got = llama_cpp_tokens(directory, "hello é</s>", add_bos=True)
    assert got == [ID["<s>"], ID["▁hello"], ID[SPACE], 3 + 0xC3, 3 + 0xA9, ID["</s>"]]


@pytest.mark.engine
def test_llama_cpp_adds_no_space_without_a_dummy_prefix(tmp_path: Path) -> None:
    directory = write_model(tmp_path, add_dummy_prefix=False)
    assert llama_cpp_tokens(directory, "hello world") == [ID["h"], ID["e"], ID["llo"], ID["▁world"]]


def sentencepiece_style_tokenizer(directory: Path) -> Tokenizer:
    """A Llama 2 style tokenizer.json: byte-fallback BPE over "▁"-spaced text, <unk> <s> </s>
    and the 256 byte tokens first in the vocabulary, as converted SentencePiece models have."""
    trained = Tokenizer(models.BPE())
    trained.normalizer = normalizers.Sequence(
        [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
    )
    trained.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="never")
    trained.train_from_iterator(
        CORPUS * 4, trainers.BpeTrainer(vocab_size=300, show_progress=False)
    )
    learned = json.loads(trained.to_str())["model"]
    head = ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256))]
    vocab = {text: index for index, text in enumerate(head)}
    for text in sorted(learned["vocab"], key=learned["vocab"].get):
        vocab.setdefault(text, len(vocab))
    config = json.loads(trained.to_str())
    config["pre_tokenizer"] = None
    config["model"] = {
        **learned,
        "vocab": vocab,
        "byte_fallback": True,
        "unk_token": "<unk>",
        "fuse_unk": True,
    }
    flags = {"normalized": False, "single_word": False, "lstrip": False, "rstrip": False}
    config["added_tokens"] = [
        {"id": i, "content": text, "special": True, **flags} for i, text in enumerate(head[:3])
    ]
    tokenizer = Tokenizer.from_str(json.dumps(config))
    save(tokenizer, directory)
    return tokenizer


@pytest.mark.engine
def test_sentencepiece_style_tokenizer_json_becomes_a_llama_vocabulary(tmp_path: Path) -> None:
    tokenizer = sentencepiece_style_tokenizer(tmp_path)
    vocab_size = tokenizer.get_vocab_size()
    got = metadata_dict(tmp_path, vocab_size)
    assert got["tokenizer.ggml.model"] == "llama"
    assert got["tokenizer.ggml.add_space_prefix"] is True
    types = got["tokenizer.ggml.token_type"]
    assert types[:4] == [3, 3, 3, 6] and types[258] == 6 and types[259] == 1
    text = "Hello world! The lazy fox said: 안녕하세요 세계 🦙 x</s>y 12345"
    expected = tokenizer.encode(text).ids
    assert llama_cpp_tokens(tmp_path, text, vocab_size=vocab_size) == expected
    assert any(3 <= token < 259 for token in expected)  # some characters fell back to bytes
