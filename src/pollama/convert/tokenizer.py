"""The `tokenizer.*` metadata of a converted model, from its Hugging Face tokenizer files.

Which file gives the vocabulary: a SentencePiece `tokenizer.model` when there is one and it
parses, else `tokenizer.json`. llama.cpp's converter does the same for the families pollama
converts: llama/mistral, gemma and phi3 read tokenizer.model first (the llama family falls
back to tokenizer.json, byte-fallback BPE as a "llama" vocabulary, else byte-level BPE as
"gpt2"); qwen2/qwen3 and Llama 3 ship no SentencePiece model, only tokenizer.json. A
`tokenizer.model` that is not a SentencePiece model (some Llama 3 uploads put tiktoken's file
under that name) is skipped when tokenizer.json exists.

The vocabulary has exactly `vocab_size` entries, the embedding's rows: missing ids become
`[PAD<id>]` unused tokens, and a base vocabulary larger than the embedding is refused. Added
tokens past the embedding are dropped with a warning, as llama.cpp's converter drops them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from gguf import GGUFValueType, Keys, TokenType

from pollama.convert.bpe import (
    SPIECE_SPACE,
    Vocabulary,
    added_token_type,
    dense,
    tokenizer_json_vocabulary,
)
from pollama.convert.chat_template import chat_template
from pollama.convert.errors import ConvertError
from pollama.convert.plan import KV
from pollama.convert.special_tokens import (
    ADD_KEYS,
    ID_KEYS,
    SpecialTokens,
    read_json,
    special_tokens,
)
from pollama.convert.spm import SentencePieceModel, read_sentencepiece

log = logging.getLogger(__name__)

ADDED_TOKEN_SCORE = -1000.0  # what llama.cpp's converter scores added tokens
UNUSED_SCORE = -10000.0  # ... and the ids it pads


def tokenizer_metadata(directory: Path, vocab_size: int) -> list[KV]:
    """tokenizer.ggml.* and tokenizer.chat_template for the model in `directory`, whose
    embedding has `vocab_size` rows."""
    if vocab_size <= 0:
        raise ConvertError(f"vocabulary size {vocab_size} must be positive")
    tokenizer_config = read_json(directory, "tokenizer_config.json")
    tokenizer_json = read_json(directory, "tokenizer.json")
    vocabulary = load_vocabulary(directory, vocab_size, tokenizer_json, tokenizer_config)
    special = special_tokens(directory, vocabulary.tokens, tokenizer_json, tokenizer_config)
    return metadata(vocabulary, special, chat_template(directory, tokenizer_config))


def load_vocabulary(
    directory: Path,
    vocab_size: int,
    tokenizer_json: dict[str, Any] | None,
    tokenizer_config: dict[str, Any] | None,
) -> Vocabulary:
    model_path = directory / "tokenizer.model"
    if model_path.is_file():
        try:
            model = read_sentencepiece(model_path)
        except ConvertError as err:
            if tokenizer_json is None:
                raise
            log.warning("%s; using tokenizer.json", err)
        else:
            added = _added_tokens(directory, tokenizer_json, tokenizer_config)
            return sentencepiece_vocabulary(model, vocab_size, added)
    if tokenizer_json is not None:
        return tokenizer_json_vocabulary(_drop_added_past(tokenizer_json, vocab_size), vocab_size)
    raise ConvertError("no tokenizer found: expected tokenizer.model or tokenizer.json")


def sentencepiece_vocabulary(
    model: SentencePieceModel,
    vocab_size: int,
    added: list[tuple[int, str, bool | None]],
) -> Vocabulary:
    """A "llama" vocabulary: the model's pieces, then the added tokens over them in order
    (`special` None: added_tokens.json, always user-defined). As in llama.cpp's converter, an
    added token replaces the piece, type included: a special <unk> becomes a control token."""
    if model.model_type != "bpe":
        log.warning(
            "tokenizer.model: a %s SentencePiece model; llama.cpp tokenizes it as BPE",
            model.model_type,
        )
    by_id: dict[int, tuple[str, float, int]] = {
        index: entry
        for index, entry in enumerate(zip(model.pieces, model.scores, model.types, strict=True))
    }
    if len(model.pieces) > vocab_size:
        raise ConvertError(
            f"tokenizer.model: {len(model.pieces)} pieces do not fit the model's vocabulary of "
            f"{vocab_size} tokens (the embedding has {vocab_size} rows)"
        )
    for token_id, text, special in added:
        if token_id >= vocab_size:
            log.warning("added token %r: id %d is past the vocabulary, ignored", text, token_id)
            continue
        token_type = TokenType.USER_DEFINED if special is None else added_token_type(text, special)
        if token_type == TokenType.USER_DEFINED:
            text = text.replace(SPIECE_SPACE, " ")  # llama.cpp matches user tokens pre-normalized
        by_id[token_id] = (text, ADDED_TOKEN_SCORE, int(token_type))
    tokens: list[str] = []
    scores: list[float] = []
    types: list[int] = []
    for index, entry in enumerate(dense(by_id, vocab_size, "tokenizer.model")):
        text, score, token_type = entry or (f"[PAD{index}]", UNUSED_SCORE, TokenType.UNUSED)
        tokens.append(text)
        scores.append(score)
        types.append(int(token_type))
    return Vocabulary(
        model="llama",
        pre="default",
        tokens=tokens,
        types=types,
        scores=scores,
        add_space_prefix=model.add_dummy_prefix,
    )


def metadata(vocabulary: Vocabulary, special: SpecialTokens, template: str | None) -> list[KV]:
    array, string = GGUFValueType.ARRAY, GGUFValueType.STRING
    kvs = [
        KV(Keys.Tokenizer.MODEL, vocabulary.model, string),
        KV(Keys.Tokenizer.PRE, vocabulary.pre, string),
        KV(Keys.Tokenizer.LIST, vocabulary.tokens, array, string),
    ]
    if vocabulary.scores is not None:
        kvs.append(KV(Keys.Tokenizer.SCORES, vocabulary.scores, array, GGUFValueType.FLOAT32))
    kvs.append(KV(Keys.Tokenizer.TOKEN_TYPE, vocabulary.types, array, GGUFValueType.INT32))
    if vocabulary.model == "gpt2":
        kvs.append(KV(Keys.Tokenizer.MERGES, vocabulary.merges, array, string))
    for kind, key in ID_KEYS.items():
        if kind in special.ids:
            kvs.append(KV(key, special.ids[kind], GGUFValueType.UINT32))
    for kind, key in ADD_KEYS.items():
        if kind in special.add:
            kvs.append(KV(key, special.add[kind], GGUFValueType.BOOL))
    if vocabulary.add_space_prefix is not None:
        kvs.append(KV(Keys.Tokenizer.ADD_PREFIX, vocabulary.add_space_prefix, GGUFValueType.BOOL))
    if template is not None:
        kvs.append(KV(Keys.Tokenizer.CHAT_TEMPLATE, template, string))
    return kvs


def _added_tokens(
    directory: Path,
    tokenizer_json: dict[str, Any] | None,
    tokenizer_config: dict[str, Any] | None,
) -> list[tuple[int, str, bool | None]]:
    """(id, content, special) from added_tokens.json, tokenizer_config.json's
    added_tokens_decoder and tokenizer.json's added_tokens, in the order they apply."""
    out: list[tuple[int, str, bool | None]] = []
    for content, token_id in (read_json(directory, "added_tokens.json") or {}).items():
        if isinstance(token_id, int) and token_id >= 0:
            out.append((token_id, content, None))
    decoder = (tokenizer_config or {}).get("added_tokens_decoder")
    for key, entry in (decoder if isinstance(decoder, dict) else {}).items():
        if key.isdigit() and isinstance(entry, dict) and isinstance(entry.get("content"), str):
            out.append((int(key), entry["content"], bool(entry.get("special"))))
    for entry in (tokenizer_json or {}).get("added_tokens") or []:
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            token_id = entry.get("id")
            if isinstance(token_id, int) and token_id >= 0:
                out.append((token_id, entry["content"], bool(entry.get("special"))))
    return out


def _drop_added_past(tokenizer_json: dict[str, Any], vocab_size: int) -> dict[str, Any]:
    added = tokenizer_json.get("added_tokens")
    if not isinstance(added, list):
        return tokenizer_json
    kept = []
    for entry in added:
        token_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(token_id, int) and token_id >= vocab_size:
            log.warning("tokenizer.json: added token %s is past the vocabulary, ignored", entry)
        else:
            kept.append(entry)
    return {**tokenizer_json, "added_tokens": kept}
