"""Special token ids (BOS, EOS, UNK, SEP, PAD) and the add_bos / add_eos flags.

The sources and their order follow gguf-py's SpecialVocab (used by llama.cpp's converter); the
first source to give a value wins:
1. tokenizer.json's `post_processor` sets the add flags: ByteLevel defaults both to false, a
   TemplateProcessing whose single-sequence template starts with the BOS token (or ends with
   the EOS token) sets add_bos (add_eos);
2. tokenizer_config.json: `add_bos_token` / `add_eos_token` where the post-processor said
   nothing, and `<type>_token` (a string or {"content": ...}; special_tokens_map.json when
   absent), resolved to an id through tokenizer.json's added tokens, tokenizer_config.json's
   `added_tokens_decoder`, then the vocabulary itself. No BOS falls back to the CLS token and
   no EOS to the SEP token;
3. config.json `<type>_token_id` (or its `text_config`'s), then generation_config.json's.
   SpecialVocab ignores ids given as lists (Llama 3.1 lists several EOS ids); here the first
   is taken when nothing earlier named the token.
Ids outside the vocabulary are skipped with a warning, as SpecialVocab does. When a flag or
id is given nowhere, no key is written and llama.cpp's own default for the vocabulary type
applies (SentencePiece: BOS 1, EOS 2, UNK 0, add_bos true; BPE: add_bos false).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import Keys

from pollama.convert.jsonfiles import json_object

log = logging.getLogger(__name__)

TOKEN_TYPES = ("bos", "eos", "unk", "sep", "pad")
ID_KEYS = {
    "bos": Keys.Tokenizer.BOS_ID,
    "eos": Keys.Tokenizer.EOS_ID,
    "unk": Keys.Tokenizer.UNK_ID,
    "sep": Keys.Tokenizer.SEP_ID,
    "pad": Keys.Tokenizer.PAD_ID,
}
ADD_KEYS = {"bos": Keys.Tokenizer.ADD_BOS, "eos": Keys.Tokenizer.ADD_EOS}


@dataclass
class SpecialTokens:
    ids: dict[str, int] = field(default_factory=dict)  # "bos" -> 1, ...
    add: dict[str, bool] = field(default_factory=dict)  # "bos" -> True, ...


def read_json(directory: Path, name: str) -> dict[str, Any] | None:
    """`directory/name` as a JSON object; None when the file does not exist."""
    return json_object(directory / name)


def special_tokens(
    directory: Path,
    tokens: list[str],
    tokenizer_json: dict[str, Any] | None,
    tokenizer_config: dict[str, Any] | None,
) -> SpecialTokens:
    """The special tokens of the model in `directory`, whose vocabulary is `tokens`."""
    found = SpecialTokens()
    config = tokenizer_config or {}
    contents = _token_contents(config, read_json(directory, "special_tokens_map.json") or {})
    if tokenizer_json is not None:
        _post_processor_flags(tokenizer_json.get("post_processor"), contents, found.add)
    for kind in ("bos", "eos"):
        flag = config.get(f"add_{kind}_token")
        if isinstance(flag, bool):
            found.add.setdefault(kind, flag)
    by_content = _ids_by_content(tokens, tokenizer_json, config)
    for kind in TOKEN_TYPES:
        content = contents.get(kind)
        if content is not None and content in by_content:
            _set(found, kind, by_content[content], len(tokens), "tokenizer_config.json")
    for name in ("config.json", "generation_config.json"):
        source = read_json(directory, name) or {}
        text_config = source.get("text_config")
        for kind in TOKEN_TYPES:
            value = source.get(f"{kind}_token_id")
            if value is None and isinstance(text_config, dict):
                value = text_config.get(f"{kind}_token_id")
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, int) and not isinstance(value, bool):
                _set(found, kind, value, len(tokens), name)
    return found


def _set(found: SpecialTokens, kind: str, token_id: int, n_vocab: int, source: str) -> None:
    if kind in found.ids:
        return
    if not 0 <= token_id < n_vocab:
        log.warning("%s: %s token id %d is outside the vocabulary, ignored", source, kind, token_id)
        return
    found.ids[kind] = token_id


def _token_contents(config: dict[str, Any], special_map: dict[str, Any]) -> dict[str, str]:
    contents: dict[str, str] = {}
    for kind in (*TOKEN_TYPES, "cls"):
        for source in (config, special_map):
            content = _content(source.get(f"{kind}_token"))
            if content is not None:
                contents[kind] = content
                break
    if "bos" not in contents and "cls" in contents:
        contents["bos"] = contents["cls"]
    if "eos" not in contents and "sep" in contents:
        contents["eos"] = contents["sep"]
    return contents


def _content(entry: Any) -> str | None:
    if isinstance(entry, str) and entry:
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return str(entry["content"])
    return None


def _ids_by_content(
    tokens: list[str], tokenizer_json: dict[str, Any] | None, config: dict[str, Any]
) -> dict[str, int]:
    """Token text -> id; earlier sources win: tokenizer.json's added tokens, then
    tokenizer_config.json's added_tokens_decoder, then the vocabulary."""
    by_content: dict[str, int] = {}
    for entry in (tokenizer_json or {}).get("added_tokens") or []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("id"), int) and isinstance(entry.get("content"), str):
            by_content.setdefault(entry["content"], entry["id"])
    decoder = config.get("added_tokens_decoder")
    if isinstance(decoder, dict):
        for key, entry in decoder.items():
            if key.isdigit() and isinstance(entry, dict) and isinstance(entry.get("content"), str):
                by_content.setdefault(entry["content"], int(key))
    for index, text in enumerate(tokens):
        by_content.setdefault(text, index)
    return by_content


def _post_processor_flags(processor: Any, contents: dict[str, str], add: dict[str, bool]) -> None:
    if not isinstance(processor, dict):
        return
    kind = processor.get("type")
    if kind == "Sequence":
        for child in processor.get("processors") or []:
            _post_processor_flags(child, contents, add)
    elif kind == "ByteLevel":
        add.setdefault("bos", False)
        add.setdefault("eos", False)
    elif kind == "TemplateProcessing":
        single = processor.get("single") or []
        if len(single) < 2:
            return
        first, last = _special_id(single[0]), _special_id(single[-1])
        if first is not None:
            # No BOS named elsewhere: the template's leading token is the BOS, as in SpecialVocab.
            contents.setdefault("bos", first)
            add["bos"] = first in (contents["bos"], contents.get("cls"))
        if last is not None:
            contents.setdefault("eos", last)
            add["eos"] = last == contents["eos"]


def _special_id(element: Any) -> str | None:
    if isinstance(element, dict) and isinstance(element.get("SpecialToken"), dict):
        token = element["SpecialToken"].get("id")
        return token if isinstance(token, str) else None
    return None
