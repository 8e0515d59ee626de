"""Context-window arithmetic (pure): prompt truncation and context shift, as Ollama does them."""

from __future__ import annotations

from pollama.errors import BadRequest

PROMPT_TOO_LONG = (
    "the prompt is longer than the context length currently available to the model; "
    "shorten the prompt, adjust the context length in settings, or use a model with a "
    "longer context length"
)


def keep_count(num_keep: int, prompt_length: int, has_bos: bool, num_ctx: int) -> int:
    """Tokens at the start that a shift never discards: num_keep after BOS (-1 = prompt).

    Clamped so that a shift can always discard something.
    """
    keep = prompt_length if num_keep < 0 else num_keep + (1 if has_bos else 0)
    return max(0, min(keep, prompt_length, num_ctx - 2))


def fit_prompt(
    tokens: list[int], num_ctx: int, num_keep: int, has_bos: bool, shift: bool
) -> list[int]:
    """Return the prompt to evaluate, or raise Ollama's 400 when it cannot fit.

    A prompt that reaches num_ctx keeps its first `keep` tokens and its end, dropping the
    middle so that about half of the window is left free for the reply.
    """
    if len(tokens) < num_ctx:
        return tokens
    if not shift:
        raise BadRequest(PROMPT_TOO_LONG)
    keep = keep_count(num_keep, len(tokens), has_bos, num_ctx)
    tail = (num_ctx - keep) // 2
    return tokens[:keep] + tokens[len(tokens) - tail :]


def shift_discard(n_past: int, keep: int) -> int:
    """How many tokens after `keep` a context shift drops: half of the rest."""
    return max(0, (n_past - keep) // 2)
