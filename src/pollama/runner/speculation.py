"""Speculative decoding: drafting a few tokens past a sequence's pending one, and keeping the
ones the model itself samples.

A step evaluates [pending, d1..dk] in one batch with logits on every row. The model then
samples row by row, its sampler chain (penalties, grammar) advanced by each kept token, and
goes on while what it sampled equals the draft: every emitted token is the model's own
sample given the tokens before it, so the output distribution is the model's (with a
deterministic draft this is the standard accept/reject rule: a draft token is kept with the
model's probability of it, and a rejection samples from the rest). Greedy output is the
same with and without a draft in the batch-invariant mode, where a drafted row is computed
exactly as a row decoded alone (step.py); in the default mode, where batches change the last
bits of the numbers anyway, it is the same except where two tokens are within that noise. The
cells of rejected drafts are removed from the KV.

Drafts come from the runner's DRAFT model when it has one, else from prompt lookup: the
tokens that followed the latest earlier occurrence of the context's last n-gram.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import llama_cpp as llama

from pollama.runner.ngram import NgramDrafter
from pollama.runner.sequence import Sequence

if TYPE_CHECKING:
    from pollama.runner.engine import Engine

MAX_DRAFT = 16  # draft tokens per sequence and step at most, whatever draft_num_predict asks
DRAFT_ROWS = 32  # drafted rows per step at most, all sequences together (their logits' room)
DRAFT_REST_STEPS = 4  # steps without drafting after a draft was rejected whole (then 8, 16...)
FIRST_DRAFT = 4  # a sequence's first draft; each fully kept one doubles the next
# Prompt lookup drafts after a repeat of 3 to 6 tokens: two-token repeats are common in any
# text, and their drafts are mostly rejected (rows that cost time for nothing).
LOOKUP_MIN_NGRAM, LOOKUP_MAX_NGRAM = 3, 6


def propose_drafts(engine: Engine, sequence: Sequence, most: int) -> list[int]:
    """Up to `draft_num_predict` (and `most`) tokens to verify after the pending token."""
    slot = sequence.slot
    if sequence.draft_num_predict <= 0 or slot is None:
        return []
    if sequence.draft_pause > 0:
        sequence.draft_pause -= 1
        return []
    room = min(
        sequence.draft_limit or FIRST_DRAFT,
        sequence.draft_num_predict,
        most,
        engine.spec.num_ctx - sequence.n_past - 1,
        sequence.max_new_tokens - len(sequence.generated) - 1,
    )
    if room <= 0 or sequence.pending is None:
        return []
    context = [*slot.tokens, sequence.pending]
    if engine.draft_model is not None:
        return engine.draft_model.propose(slot.seq_id, context, room)
    if sequence.drafter is None:
        sequence.drafter = NgramDrafter(min_ngram=LOOKUP_MIN_NGRAM, max_ngram=LOOKUP_MAX_NGRAM)
    drafts: list[int] = sequence.drafter.propose(context, room)
    return drafts


def accept_drafts(engine: Engine, sequence: Sequence, drafts: list[int]) -> None:
    """After the batch holding [pending, *drafts] was decoded (rows from batch_index on):
    sample row by row while the samples equal the drafts."""
    slot = sequence.slot
    assert slot is not None and sequence.pending is not None
    first_row = sequence.batch_index
    sequence.draft_tokens += len(drafts)
    _keep(engine, sequence, sequence.pending)
    accepted = 0
    for offset in range(len(drafts) + 1):
        sequence.batch_index = first_row + offset
        engine.sample(sequence)
        if sequence not in engine.active or sequence.pending is None:
            break  # finished: stop, length or end of generation
        if offset == len(drafts) or sequence.pending != drafts[offset]:
            break
        accepted += 1
        _keep(engine, sequence, sequence.pending)
    sequence.draft_accepted_tokens += accepted
    if drafts:
        _adapt(sequence, accepted, len(drafts))
    if accepted < len(drafts):  # the rejected drafts' cells (from n_past on) leave the KV
        llama.llama_memory_seq_rm(engine.memory, slot.seq_id, sequence.n_past, -1)


def _keep(engine: Engine, sequence: Sequence, token: int) -> None:
    """`token`, whose cell is in the KV at n_past, is part of the sequence now."""
    slot = sequence.slot
    assert slot is not None
    slot.tokens.append(token)
    sequence.n_past += 1
    sequence.pending = None
    if not engine.invariant:
        slot.exact = len(slot.tokens)


def _adapt(sequence: Sequence, accepted: int, drafted: int) -> None:
    """Draft as far as drafts are being kept: twice as far after a fully kept draft, one past
    the kept part otherwise. A draft rejected whole makes the sequence rest, twice as long
    each time in a row (rejected rows cost time, and text that does not repeat itself gives
    mostly rejected drafts)."""
    if accepted == 0:
        sequence.draft_limit = 1
        sequence.draft_pause = DRAFT_REST_STEPS << min(sequence.draft_failures, 4)
        sequence.draft_failures += 1
        return
    sequence.draft_failures = 0
    if accepted == drafted:
        sequence.draft_limit = min(sequence.draft_num_predict, 2 * drafted)
    else:
        sequence.draft_limit = accepted + 1
