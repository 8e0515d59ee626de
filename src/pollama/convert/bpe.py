"""Vocabularies from a Hugging Face `tokenizer.json` with a BPE model.

Two kinds are supported, as llama.cpp's converter supports them:
- byte-level BPE (a `ByteLevel` pre-tokenizer: GPT-2, Llama 3, Qwen2/3, ...) becomes a "gpt2"
  vocabulary: tokens, types and merges, and the pre-tokenizer's llama.cpp name;
- SentencePiece-style BPE (no ByteLevel, `byte_fallback`, spaces written as "▁": Llama 2 and
  Mistral checkpoints shipped without tokenizer.model) becomes a "llama" vocabulary, as
  llama.cpp's converter does with `_set_vocab_llama_hf`. llama.cpp's SentencePiece tokenizer
  merges by token score, so each token scores minus the rank of the first merge that makes it.
Other models (Unigram, WordPiece, ...) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gguf import TokenType

from pollama.convert.errors import ConvertError
from pollama.convert.pretokenizer import pre_tokenizer_name

FILE_NAME = "tokenizer.json"
SPIECE_SPACE = "\u2581"  # "▁", SentencePiece's visible space
_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


@dataclass(frozen=True)
class Vocabulary:
    """A GGUF vocabulary: `model` is tokenizer.ggml.model ("llama" or "gpt2")."""

    model: str
    pre: str
    tokens: list[str]
    types: list[int]
    scores: list[float] | None = None
    merges: list[str] = field(default_factory=list)
    add_space_prefix: bool | None = None


def looks_special(text: str) -> bool:
    """Added tokens llama.cpp's converter makes control tokens even when not marked special."""
    return (
        text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
        or (text.startswith("<|") and text.endswith("|>"))
        or (text.startswith("<\uff5c") and text.endswith("\uff5c>"))  # "<｜...｜>"
        or (text.startswith("<unused") and text.endswith(">"))
    )


def added_token_type(text: str, special: bool) -> int:
    return TokenType.CONTROL if special or looks_special(text) else TokenType.USER_DEFINED


def dense(by_id: dict[int, Any], vocab_size: int, source: str) -> list[Any]:
    """`by_id` as a list of `vocab_size` entries, None where an id has no token."""
    if by_id and max(by_id) >= vocab_size:
        raise ConvertError(
            f"{source}: token id {max(by_id)} does not fit the model's vocabulary of "
            f"{vocab_size} tokens (the embedding has {vocab_size} rows)"
        )
    return [by_id.get(index) for index in range(vocab_size)]


def tokenizer_json_vocabulary(tokenizer: dict[str, Any], vocab_size: int) -> Vocabulary:
    model = tokenizer.get("model")
    if not isinstance(model, dict):
        raise ConvertError(f'{FILE_NAME}: missing "model"')
    kind = model.get("type", "BPE" if "merges" in model else None)
    if kind != "BPE":
        raise ConvertError(f"{FILE_NAME}: unsupported tokenizer model {kind!r} (only BPE is)")
    merge_pairs = _merges(model.get("merges"))
    by_id = _model_tokens(model)
    added = _added_tokens(tokenizer)
    if _has_byte_level(tokenizer.get("pre_tokenizer")):
        return _byte_level(tokenizer, by_id, added, merge_pairs, vocab_size)
    if model.get("byte_fallback"):
        return _sentencepiece_style(tokenizer, by_id, added, merge_pairs, vocab_size)
    raise ConvertError(
        f"{FILE_NAME}: unsupported BPE tokenizer (neither a ByteLevel pre-tokenizer "
        "nor SentencePiece-style byte fallback)"
    )


def _byte_level(
    tokenizer: dict[str, Any],
    by_id: dict[int, tuple[str, int]],
    added: dict[int, tuple[str, bool]],
    merge_pairs: list[tuple[str, str]],
    vocab_size: int,
) -> Vocabulary:
    for token_id, (text, special) in added.items():
        token_type = added_token_type(text, special)
        if token_type == TokenType.USER_DEFINED:
            text = text.replace(SPIECE_SPACE, " ")  # llama.cpp matches user tokens pre-normalized
        by_id[token_id] = (text, token_type)
    tokens, types = _padded(dense(by_id, vocab_size, FILE_NAME))
    # A space inside a merge part (newer tokenizers allow them) is written as U+0120, the
    # byte-level form of a space, so that llama.cpp can split the merge at its one space.
    merges = [" ".join(part.replace(" ", "\u0120") for part in pair) for pair in merge_pairs]
    pre = pre_tokenizer_name(tokenizer.get("pre_tokenizer"))
    return Vocabulary(model="gpt2", pre=pre, tokens=tokens, types=types, merges=merges)


def _sentencepiece_style(
    tokenizer: dict[str, Any],
    by_id: dict[int, tuple[str, int]],
    added: dict[int, tuple[str, bool]],
    merge_pairs: list[tuple[str, str]],
    vocab_size: int,
) -> Vocabulary:
    add_space_prefix = _sentencepiece_prefix(tokenizer)
    unk = tokenizer["model"].get("unk_token")
    for token_id, (text, _) in list(by_id.items()):
        if _BYTE_TOKEN.fullmatch(text):
            by_id[token_id] = (text, TokenType.BYTE)
        elif text == unk:
            by_id[token_id] = (text, TokenType.UNKNOWN)
    for token_id, (text, special) in added.items():
        current = by_id.get(token_id)
        if current is not None and current[1] == TokenType.BYTE:
            continue  # llama.cpp's converter types <0xNN> as bytes whatever the added tokens say
        by_id[token_id] = (text, added_token_type(text, special))
    tokens, types = _padded(dense(by_id, vocab_size, FILE_NAME))
    scores = _merge_scores(tokens, types, merge_pairs)
    return Vocabulary(
        model="llama",
        pre="default",
        tokens=tokens,
        types=types,
        scores=scores,
        add_space_prefix=add_space_prefix,
    )


def _merge_scores(
    tokens: list[str], types: list[int], merge_pairs: list[tuple[str, str]]
) -> list[float]:
    """Minus the rank of the first merge making each token: llama.cpp merges the best-scored
    pair first, as BPE applies the lowest-ranked merge first. Tokens no merge makes score
    below every merge; control, byte and unused tokens as SentencePiece scores them."""
    rank: dict[str, int] = {}
    for index, (left, right) in enumerate(merge_pairs):
        rank.setdefault(left + right, index)
    scores: list[float] = []
    for text, token_type in zip(tokens, types, strict=True):
        if token_type == TokenType.UNUSED:
            scores.append(-10000.0)
        elif token_type == TokenType.NORMAL:
            scores.append(-float(rank.get(text, len(merge_pairs))))
        else:
            scores.append(0.0)
    return scores


def _padded(entries: list[tuple[str, int] | None]) -> tuple[list[str], list[int]]:
    """Missing ids become `[PAD<id>]` unused tokens, as llama.cpp's converter writes them."""
    tokens: list[str] = []
    types: list[int] = []
    for index, entry in enumerate(entries):
        text, token_type = entry if entry is not None else (f"[PAD{index}]", TokenType.UNUSED)
        tokens.append(text)
        types.append(int(token_type))
    return tokens, types


def _model_tokens(model: dict[str, Any]) -> dict[int, tuple[str, int]]:
    vocab = model.get("vocab")
    if not isinstance(vocab, dict) or not vocab:
        raise ConvertError(f'{FILE_NAME}: "model.vocab" is missing or empty')
    by_id: dict[int, tuple[str, int]] = {}
    for text, token_id in vocab.items():
        if not isinstance(token_id, int) or isinstance(token_id, bool) or token_id < 0:
            raise ConvertError(f"{FILE_NAME}: token {text!r} has invalid id {token_id!r}")
        if token_id in by_id:
            other = by_id[token_id][0]
            raise ConvertError(f"{FILE_NAME}: tokens {other!r} and {text!r} share id {token_id}")
        by_id[token_id] = (text, TokenType.NORMAL)
    return by_id


def _added_tokens(tokenizer: dict[str, Any]) -> dict[int, tuple[str, bool]]:
    """id -> (content, special) of tokenizer.json's `added_tokens`."""
    out: dict[int, tuple[str, bool]] = {}
    for entry in tokenizer.get("added_tokens") or []:
        token_id = entry.get("id") if isinstance(entry, dict) else None
        content = entry.get("content") if isinstance(entry, dict) else None
        if not isinstance(token_id, int) or token_id < 0 or not isinstance(content, str):
            raise ConvertError(f"{FILE_NAME}: invalid added token {entry!r}")
        out[token_id] = (content, bool(entry.get("special")))
    return out


def _merges(raw: Any) -> list[tuple[str, str]]:
    """Merges written as "a b" strings or, by newer tokenizers, as [a, b] pairs."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConvertError(f'{FILE_NAME}: "model.merges" must be a list')
    pairs: list[tuple[str, str]] = []
    for index, merge in enumerate(raw):
        if isinstance(merge, str):
            parts = merge.split(" ")
        elif isinstance(merge, list) and all(isinstance(part, str) for part in merge):
            parts = merge
        else:
            parts = []
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise ConvertError(f"{FILE_NAME}: merge {index} is malformed: {merge!r}")
        pairs.append((parts[0], parts[1]))
    return pairs


def _parts(component: Any, key: str) -> list[dict[str, Any]]:
    """A normalizer or pre-tokenizer object flattened through its Sequences."""
    if not isinstance(component, dict):
        return []
    if component.get("type") == "Sequence":
        return [part for child in component.get(key) or [] for part in _parts(child, key)]
    return [component]


def _has_byte_level(pre_tokenizer: Any) -> bool:
    return any(p.get("type") == "ByteLevel" for p in _parts(pre_tokenizer, "pretokenizers"))


def _sentencepiece_prefix(tokenizer: dict[str, Any]) -> bool:
    """Whether a "▁" is prepended; refuses a tokenizer that does not write spaces as "▁"
    (llama.cpp's SentencePiece tokenizer always does). llama.cpp prepends it to the text and
    after every special token, like Prepend; Metaspace's "first" scheme only to the text."""
    replaces_space = False
    prefix = False
    for part in _parts(tokenizer.get("normalizer"), "normalizers"):
        if part.get("type") == "Prepend" and part.get("prepend") == SPIECE_SPACE:
            prefix = True
        elif part.get("type") == "Replace" and part.get("content") == SPIECE_SPACE:
            replaces_space = replaces_space or (part.get("pattern") or {}).get("String") == " "
    for part in _parts(tokenizer.get("pre_tokenizer"), "pretokenizers"):
        replacement = part.get("replacement", SPIECE_SPACE)
        if part.get("type") == "Metaspace" and replacement == SPIECE_SPACE:
            replaces_space = True
            if "prepend_scheme" in part:
                prefix = prefix or part["prepend_scheme"] != "never"
            else:  # the older form
                prefix = prefix or bool(part.get("add_prefix_space", True))
    if not replaces_space:
        raise ConvertError(
            f"{FILE_NAME}: unsupported BPE tokenizer: byte fallback without "
            'SentencePiece-style "\u2581" spaces'
        )
    return prefix
