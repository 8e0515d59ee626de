"""Evaluating one piece of a prompt into its slot: text tokens in one llama_decode, or a
whole image through the projector (encoded, then its embeddings decoded at its positions).

A piece that ends on one of the prompt's cuts (a multiple of the chunk size, an image's
start or end) and starts where the slot's exact prefix ends extends that prefix: a later
request may reuse it and still compute exactly what a cold run would (see slots.py).
"""

from __future__ import annotations

from typing import Any

from pollama.errors import PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.sequence import PromptPiece, Sequence
from pollama.runner.vision import Projector


def evaluate_piece(
    ctx: Any,
    batch: TokenBatch,
    projector: Projector | None,
    sequence: Sequence,
    piece: PromptPiece,
    *,
    granularity: int,
    n_batch: int,
) -> int:
    """Decode `piece` of `sequence`'s prompt; returns the batch row of its last token's
    logits (asked for when the piece ends the prompt). Raises PollamaError."""
    slot = sequence.slot
    assert slot is not None
    completes = piece.end == len(sequence.prompt)
    last = -1
    if piece.image is not None:
        if projector is None:
            raise PollamaError("this model has no projector to evaluate images with", 400)
        if completes:
            raise PollamaError("the prompt must not end with an image", 400)
        projector.evaluate(ctx, piece.image, sequence.n_past, slot.seq_id, n_batch)
    else:
        tokens = sequence.prompt[piece.start : piece.end]
        batch.clear()
        last = batch.add_many(tokens, sequence.n_past, slot.seq_id, completes)
        status = batch.decode(ctx)
        if status != 0:
            raise PollamaError(f"llama_decode failed with status {status}")
    on_cut = piece.image is not None or piece.end % granularity == 0 or piece.end in sequence.images
    extends_exact = on_cut and slot.exact == sequence.n_past
    length = piece.end - piece.start
    slot.tokens.extend(sequence.prompt[piece.start : piece.end])
    sequence.n_past += length
    sequence.prompt_pos += length
    if extends_exact:
        slot.exact = sequence.n_past
    return last
