"""Whether a GGUF can be a model's DRAFT (speculative decoding), checked from headers alone.

The draft proposes token ids that the model then verifies, so both must give every id the same
meaning: the same tokenizer model, the same token list (its length, and its strings, compared
by a digest), the same BOS and EOS ids and whether they are added. And the draft must be a model
that generates text: not an adapter, a projector or an embedding model. A draft that fails here
is refused at create (a 400) rather than at the first request. (The runner's own check, in
`pollama.runner.vocab_match`, is llama.cpp's looser rule: whatever passes here passes there.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pollama.errors import BadRequest
from pollama.gguf.metadata import GGUFInfo, layer_kind

TOKENIZER_MODEL = "tokenizer.ggml.model"
TOKENS = "tokenizer.ggml.tokens"
BOS = "tokenizer.ggml.bos_token_id"
EOS = "tokenizer.ggml.eos_token_id"
ADD_BOS = "tokenizer.ggml.add_bos_token"
ADD_EOS = "tokenizer.ggml.add_eos_token"


@dataclass(frozen=True)
class Vocabulary:
    """What decides the meaning of a token id, in brief."""

    tokenizer: str  # tokenizer.ggml.model ("llama", "gpt2", ...); "" when absent
    size: int  # tokens in the list
    digest: str  # sha256 of the token strings, in order
    bos: int | None
    eos: int | None
    add_bos: bool | None = None  # None: the key is absent (llama.cpp's default then applies)
    add_eos: bool | None = None

    @classmethod
    def from_kv(cls, kv: Mapping[str, Any]) -> Vocabulary:
        tokens = kv.get(TOKENS)
        listed: Sequence[Any] = tokens if isinstance(tokens, list | tuple) else ()
        tokenizer = kv.get(TOKENIZER_MODEL)
        return cls(
            tokenizer=tokenizer if isinstance(tokenizer, str) else "",
            size=len(listed),
            digest=tokens_digest(listed),
            bos=_token_id(kv.get(BOS)),
            eos=_token_id(kv.get(EOS)),
            add_bos=_flag(kv.get(ADD_BOS)),
            add_eos=_flag(kv.get(ADD_EOS)),
        )


def tokens_digest(tokens: Sequence[Any]) -> str:
    """A digest of the token strings, each length-prefixed (so no two lists share one)."""
    hasher = hashlib.sha256()
    for token in tokens:
        data = str(token).encode("utf-8", "surrogatepass")
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def _token_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _shown(value: int | bool | None) -> str:
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def vocabulary_mismatch(draft_kv: Mapping[str, Any], model_kv: Mapping[str, Any]) -> str | None:
    """How the draft's vocabulary differs from the model's (the first difference found), or
    None when they are the same."""
    draft, model = Vocabulary.from_kv(draft_kv), Vocabulary.from_kv(model_kv)
    if draft.tokenizer != model.tokenizer:
        return f"tokenizer {draft.tokenizer!r}, the model's is {model.tokenizer!r}"
    if draft.size != model.size:
        return f"{draft.size} tokens, the model has {model.size}"
    if draft.digest != model.digest:
        return _first_different_token(draft_kv.get(TOKENS) or [], model_kv.get(TOKENS) or [])
    if draft.bos != model.bos:
        return f"BOS token {_shown(draft.bos)}, the model's is {_shown(model.bos)}"
    if draft.eos != model.eos:
        return f"EOS token {_shown(draft.eos)}, the model's is {_shown(model.eos)}"
    for key, ours, theirs in ((ADD_BOS, draft.add_bos, model.add_bos),
                              (ADD_EOS, draft.add_eos, model.add_eos)):  # fmt: skip
        if ours != theirs:
            return f"{key} {_shown(ours)}, the model's is {_shown(theirs)}"
    return None


def _first_different_token(draft: Sequence[Any], model: Sequence[Any]) -> str:
    for index, (ours, theirs) in enumerate(zip(draft, model, strict=False)):
        if str(ours) != str(theirs):
            return f"token {index} is {str(ours)!r}, the model's is {str(theirs)!r}"
    return "the token lists differ"


def not_a_draft(info: GGUFInfo) -> str | None:
    """Why this GGUF cannot draft for any model, or None when it can."""
    kind = layer_kind(info)
    if kind != "model":
        return f"it is {'an adapter' if kind == 'adapter' else 'a projector'}, not a model"
    if info.pooling_type is not None or f"{info.architecture}.pooling_type" in info.kv:
        return "it is an embedding model, which does not generate text"
    return None


def check_draft_fits(filename: str, draft: GGUFInfo, model_kv: Mapping[str, Any] | None) -> None:
    """Raise BadRequest (create's 400) when `draft` cannot draft for the model whose GGUF
    metadata is `model_kv` (None: there is no model to draft for)."""
    problem = not_a_draft(draft)
    if problem is not None:
        raise BadRequest(f"{filename}: not a draft model: {problem}")
    if model_kv is None:
        raise BadRequest(f"{filename}: a draft model needs a model to draft for")
    mismatch = vocabulary_mismatch(draft.kv, model_kv)
    if mismatch is not None:
        raise BadRequest(
            f"{filename}: the draft model's vocabulary does not match the model's: {mismatch}"
        )
