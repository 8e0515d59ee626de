"""Whether a draft model's vocabulary can stand in for the target's: pure facts in, the first
difference out (no llama.cpp here, so a GGUF's metadata can be checked the same way).

The rules are llama.cpp's for speculative decoding (common/speculative.cpp): the same tokenizer
kind, the same BOS and EOS where they are added, sizes within 128 ids of each other (converters
pad vocabularies to a multiple of some size), and the same text for every shared id from 5 on
(the first few are control tokens that otherwise equal vocabularies number differently).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_SIZE_DIFFERENCE = 128
FIRST_COMPARED_ID = 5


@dataclass(frozen=True)
class Vocabulary:
    kind: str  # the GGUF tokenizer.ggml.model name: "llama" (SentencePiece), "gpt2" (BPE)...
    add_bos: bool
    bos: int
    add_eos: bool
    eos: int
    texts: Sequence[str]  # every token's text, by id


def vocabulary_mismatch(draft: Vocabulary, target: Vocabulary) -> str | None:
    """The first way `draft` differs from `target` that speculation cannot live with, as a
    message (lower-case, the draft's side first); None when they match."""
    if draft.kind != target.kind:
        return f'tokenizer "{draft.kind}" differs from the model\'s "{target.kind}"'
    if draft.add_bos != target.add_bos or (draft.add_bos and draft.bos != target.bos):
        return _special_differs("beginning", draft.add_bos, draft.bos, target.add_bos, target.bos)
    if draft.add_eos != target.add_eos or (draft.add_eos and draft.eos != target.eos):
        return _special_differs("end", draft.add_eos, draft.eos, target.add_eos, target.eos)
    sizes = len(draft.texts), len(target.texts)
    if abs(sizes[0] - sizes[1]) > MAX_SIZE_DIFFERENCE:
        return f"vocabulary of {sizes[0]} tokens, the model has {sizes[1]}"
    shared = min(sizes)
    if draft.texts[FIRST_COMPARED_ID:shared] != target.texts[FIRST_COMPARED_ID:shared]:
        for token in range(FIRST_COMPARED_ID, shared):
            if draft.texts[token] != target.texts[token]:
                return (
                    f"token {token} is {draft.texts[token]!r}, "
                    f"the model's is {target.texts[token]!r}"
                )
    return None


def _special_differs(
    which: str, draft_adds: bool, draft_id: int, target_adds: bool, target_id: int
) -> str:
    def spelled(adds: bool, token: int) -> str:
        return f"token {token}" if adds else "none added"

    return (
        f"{which}-of-sequence token: {spelled(draft_adds, draft_id)}, "
        f"the model's: {spelled(target_adds, target_id)}"
    )
