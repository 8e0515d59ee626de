"""Evaluating pieces of prompts into their slots: text tokens (alone in a llama_decode, or as
rows of a shared batch) or a whole image through the projector (encoded, then its embeddings
decoded at its positions); and which pieces a step evaluates.

Exactness (batch-invariant mode): a piece that ends on one of the prompt's cuts (a multiple of
the chunk size, an image's start or end) and starts where the slot's exact prefix ends extends
that prefix: a later request may reuse it and still compute exactly what a cold run would (see
slots.py). In the default mode every evaluated token is reusable.

Fairness: prefilling sequences share a step's token budget shortest remaining prompt first,
each one getting at least a chunk before any gets more, so a short request is evaluated in the
first step it is in while long prompts keep moving (none waits for all the others).
"""

from __future__ import annotations

from typing import Any

from pollama.errors import PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.sequence import PromptPiece, Sequence
from pollama.runner.vision import Projector


def allot_prefill(sequences: list[Sequence], budget: int, chunk: int) -> list[tuple[Sequence, int]]:
    """How many prompt positions each of `sequences` evaluates this step, in evaluation
    order (shortest remaining first): a chunk each while the budget lasts, then the rest of
    the budget to the shortest."""
    order = sorted(sequences, key=lambda sequence: sequence.prompt_left)
    allotted = {id(sequence): 0 for sequence in order}
    for sequence in order:
        share = min(sequence.prompt_left, chunk, budget)
        allotted[id(sequence)] += share
        budget -= share
    for sequence in order:
        more = min(sequence.prompt_left - allotted[id(sequence)], budget)
        allotted[id(sequence)] += more
        budget -= more
    return [(s, allotted[id(s)]) for s in order if allotted[id(s)] > 0]


def add_text_piece(batch: TokenBatch, sequence: Sequence, piece: PromptPiece) -> int:
    """Put `piece`'s tokens into `batch` (logits on the last when it ends the prompt);
    returns that row (-1 when no logits are wanted)."""
    assert sequence.slot is not None and piece.image is None
    completes = piece.end == len(sequence.prompt)
    tokens = sequence.prompt[piece.start : piece.end]
    last = batch.add_many(tokens, sequence.n_past, sequence.slot.seq_id, completes)
    return last if completes else -1


def evaluate_image(
    ctx: Any, projector: Projector | None, sequence: Sequence, piece: PromptPiece, n_batch: int
) -> None:
    assert sequence.slot is not None and piece.image is not None
    if projector is None:
        raise PollamaError("this model has no projector to evaluate images with", 400)
    if piece.end == len(sequence.prompt):
        raise PollamaError("the prompt must not end with an image", 400)
    projector.evaluate(ctx, piece.image, sequence.n_past, sequence.slot.seq_id, n_batch)


def record_piece(sequence: Sequence, piece: PromptPiece, *, granularity: int | None) -> None:
    """`piece` is in the slot's KV now. `granularity` None: every token is reusable (the
    default mode); else only what extends the exact prefix up to a cut is."""
    slot = sequence.slot
    assert slot is not None
    on_cut = granularity is None or (
        piece.image is not None or piece.end % granularity == 0 or piece.end in sequence.images
    )
    extends_exact = on_cut and slot.exact == sequence.n_past
    length = piece.end - piece.start
    slot.tokens.extend(sequence.prompt[piece.start : piece.end])
    sequence.n_past += length
    sequence.prompt_pos += length
    if extends_exact:
        slot.exact = sequence.n_past


def evaluate_piece(
    ctx: Any,
    batch: TokenBatch,
    projector: Projector | None,
    sequence: Sequence,
    piece: PromptPiece,
    *,
    granularity: int | None,
    n_batch: int,
) -> int:
    """Decode `piece` of `sequence`'s prompt on its own; returns the batch row of its last
    token's logits (asked for when the piece ends the prompt). Raises PollamaError."""
    last = -1
    if piece.image is not None:
        evaluate_image(ctx, projector, sequence, piece, n_batch)
    else:
        batch.clear()
        last = add_text_piece(batch, sequence, piece)
        status = batch.decode(ctx)
        if status != 0:
            raise PollamaError(f"llama_decode failed with status {status}")
    record_piece(sequence, piece, granularity=granularity)
    return last
