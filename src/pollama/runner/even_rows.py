"""Decode batches with an even number of rows: llama.cpp's CPU kernels compute them faster.

Measured on gemma3 270M (2 threads, AVX2; repacked weights or not), one llama_decode of R
rows costs, in ms:

    R     1    2    3    4    5    6    7    8    9
         19   39   71   50   77   60   80   66   90

An odd batch of 3 rows or more costs more than the even batch one row larger: the matrix
products (the 262k-row output layer above all) take a slower path for the odd row. So in
the default mode:

- a step that decodes an odd number (3 or more) of sequences, one row each, adds a row of an
  idle slot's sequence, with logits, and removes its cell afterwards (`pad_slot`);
- a sequence drafting alone drafts an odd number of tokens, so that its batch is even
  (`even_draft`).

The padding row belongs to a sequence of its own because llama.cpp splits a batch over
per-slot KV streams into micro-batches that take the same number of rows from each sequence
(an extra row of a decoding sequence would cost a second pass). Its id is chosen so that the
batch's sequence ids stay consecutive (see step.in_slot_order). It is only added where the
idle slot's cache does not change: with full-size sliding-window caches (the default), a new
cell never overwrites one of the slot's cached cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pollama.runner.sequence import Sequence
from pollama.runner.slots import Slot

if TYPE_CHECKING:
    from pollama.runner.engine import Engine

SLOW_ODD_FROM = 3  # 1 row alone is cheaper than 2


def even_draft(drafts: list[int]) -> list[int]:
    """A lone sequence's draft, one token shorter when its batch (the pending token and the
    draft) would have an odd number of rows, 3 or more."""
    if len(drafts) >= SLOW_ODD_FROM - 1 and (1 + len(drafts)) % 2 == 1:
        return drafts[:-1]
    return drafts


def pad_slot(engine: Engine, decoding: list[Sequence]) -> Slot | None:
    """The idle slot whose sequence should add a padding row to a batch of `decoding`'s
    pending tokens, or None (an even batch, or no idle slot keeps the ids consecutive)."""
    if len(decoding) < SLOW_ODD_FROM or len(decoding) % 2 == 0:
        return None
    if engine.has_sliding_window and not engine.spec.swa_full:
        return None
    ids = sorted(s.slot.seq_id for s in decoding if s.slot is not None)
    gaps = [i for i in range(ids[0], ids[-1]) if i not in ids]
    if len(gaps) > 1:
        return None
    for seq_id in gaps or [ids[0] - 1, ids[-1] + 1]:
        if 0 <= seq_id < len(engine.slots):
            slot = engine.slots[seq_id]
            if not slot.busy and len(slot.tokens) < engine.spec.num_ctx - 1:
                return slot
    return None
