"""One step of the batch loop: the next token of every generating sequence and a share of the
waiting prompts, in the engine's mode.

Default mode (llama-server's way): one llama_decode per adapter set holds every generating
sequence's pending token (plus its draft, when it speculates) and prompt pieces of the
prefilling sequences, up to `num_batch` rows, in slot order; prompt pieces need not be aligned.

Batch-invariant mode: generating sequences decode one row each in one batch per adapter set,
then prompt pieces are evaluated one aligned chunk per llama_decode, so a sequence's numbers
never depend on what runs beside it (see engine.py and slots.py). Decode batches hold at most
INVARIANT_ROWS rows, so a drafted row is computed exactly as a row decoded alone: greedy output
with speculation is the output without it, token for token.

Both modes share the prompt budget fairly (prefill.allot_prefill): shortest remaining first,
a chunk each before any gets more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pollama.errors import PollamaError
from pollama.runner.draft_rows import even_draft
from pollama.runner.prefill import add_text_piece, allot_prefill, evaluate_image, record_piece
from pollama.runner.sequence import Sequence
from pollama.runner.speculation import DRAFT_ROWS, MAX_DRAFT, accept_drafts, propose_drafts
from pollama.runner.wire import to_wire

if TYPE_CHECKING:
    from pollama.runner.engine import Engine

_UNALIGNED = 1 << 40  # a granularity no prompt reaches: pieces end where the budget does
# llama.cpp's CPU kernels compute a row the same way while a batch has at most 7 rows (one
# row alone, or 7 of one or several sequences); from 8 rows on, the matrix products take
# another path whose results differ in the last bits. The batch-invariant mode keeps its
# decode batches (drafted rows included) to this size.
INVARIANT_ROWS = 7


def run_step(engine: Engine) -> None:
    generating = [s for s in engine.active if s.prompt_done]
    num_ctx = engine.spec.num_ctx
    ready = [s for s in generating if s.n_past < num_ctx or engine.make_room(s)]
    prefilling = [s for s in engine.active if not s.prompt_done]
    if engine.invariant:
        _invariant_step(engine, ready, prefilling, streaming=bool(generating))
    else:
        _mixed_step(engine, ready, prefilling)
    for sequence in engine.active:
        progress = sequence.progress_chunk()
        if progress is not None:
            engine.frames.append({"id": sequence.request_id, "chunk": to_wire(progress)})


def _by_adapters(sequences: list[Sequence]) -> dict[tuple[str, ...], list[Sequence]]:
    groups: dict[tuple[str, ...], list[Sequence]] = {}
    for sequence in sequences:
        groups.setdefault(sequence.adapters, []).append(sequence)
    return groups


# ---- batch-invariant -------------------------------------------------------------------


def _invariant_step(
    engine: Engine, ready: list[Sequence], prefilling: list[Sequence], *, streaming: bool
) -> None:
    for adapters, group in _by_adapters(ready).items():
        if not engine.apply_adapters(adapters, group):
            continue
        group = in_slot_order(group)
        drafts = {id(s): propose_drafts(engine, s, INVARIANT_ROWS - 1) for s in group}
        for pack in _packs(group, drafts):
            _mixed_batch(engine, pack, [], drafts)
    chunk = engine.chunk
    budget = chunk if streaming else engine.spec.num_batch
    for sequence, allotment in allot_prefill(prefilling, budget, chunk):
        while allotment > 0 and sequence in engine.active and not sequence.prompt_done:
            piece = sequence.next_prompt_piece(chunk)
            allotment -= piece.end - piece.start
            engine.decode_prompt_piece(sequence, piece)


def in_slot_order(sequences: list[Sequence]) -> list[Sequence]:
    """`sequences` by slot (sequence id). With a KV stream per slot, llama.cpp computes a batch
    in micro-batches that each take sequences of consecutive ids in the order the batch lists
    them, the same number of rows from each: listed 2, 0, 3, 1, four decode rows would cost
    three passes over the weights instead of one (llama_batch_allocr::split_equal)."""
    return sorted(sequences, key=lambda s: s.slot.seq_id if s.slot is not None else -1)


def _packs(group: list[Sequence], drafts: dict[int, list[int]]) -> list[list[Sequence]]:
    """The decode rows in llama_decode calls of at most INVARIANT_ROWS rows each."""
    packs: list[list[Sequence]] = [[]]
    rows = 0
    for sequence in group:
        need = 1 + len(drafts[id(sequence)])
        if rows + need > INVARIANT_ROWS and packs[-1]:
            packs.append([])
            rows = 0
        packs[-1].append(sequence)
        rows += need
    return [pack for pack in packs if pack]


# ---- default: mixed batches --------------------------------------------------------------


def _mixed_step(engine: Engine, ready: list[Sequence], prefilling: list[Sequence]) -> None:
    drafts = {id(s): propose_drafts(engine, s, MAX_DRAFT) for s in ready}
    # Rows left for drafts: never past num_batch, nor the logits room the context reserved.
    room = min(engine.spec.num_batch - len(ready), DRAFT_ROWS)
    for sequence in ready:
        kept = drafts[id(sequence)][: max(0, room)]
        drafts[id(sequence)] = kept
        room -= len(kept)
    if len(ready) == 1 and not prefilling:
        drafts[id(ready[0])] = even_draft(drafts[id(ready[0])])
    rows = sum(1 + len(d) for d in drafts.values())
    allotments = allot_prefill(prefilling, max(0, engine.spec.num_batch - rows), engine.chunk)
    decode_groups = _by_adapters(ready)
    prefill_groups: dict[tuple[str, ...], list[tuple[Sequence, int]]] = {}
    for sequence, allotment in allotments:
        prefill_groups.setdefault(sequence.adapters, []).append((sequence, allotment))
    for adapters in list(decode_groups) + [a for a in prefill_groups if a not in decode_groups]:
        decoding = decode_groups.get(adapters, [])
        filling = prefill_groups.get(adapters, [])
        if engine.apply_adapters(adapters, decoding + [s for s, _ in filling]):
            _mixed_batch(engine, decoding, filling, drafts)


def _mixed_batch(
    engine: Engine,
    decoding: list[Sequence],
    filling: list[tuple[Sequence, int]],
    drafts: dict[int, list[int]],
) -> None:
    """One llama_decode: the decoding sequences' rows (pending token and drafts) and the prompt
    pieces, listed in slot order (see in_slot_order)."""
    batch = engine.batch
    batch.clear()
    allotments = {id(sequence): allotment for sequence, allotment in filling}
    completing: list[tuple[Sequence, int]] = []
    for sequence in in_slot_order(decoding + [s for s, _ in filling]):
        allotment = allotments.get(id(sequence))
        if allotment is not None:
            last = _add_prompt(engine, sequence, allotment)
            if last >= 0:
                completing.append((sequence, last))
            continue
        assert sequence.pending is not None and sequence.slot is not None
        seq_id, pos = sequence.slot.seq_id, sequence.n_past
        sequence.batch_index = batch.add(sequence.pending, pos, seq_id, True)
        for offset, token in enumerate(drafts.get(id(sequence), []), start=1):
            batch.add(token, pos + offset, seq_id, True)
    if batch.count:
        status = batch.decode(engine.ctx)
        if status != 0:
            for sequence in decoding + [s for s, _ in filling]:
                if sequence in engine.active:
                    engine.fail(sequence, f"llama_decode failed with status {status}")
            return
    for sequence, last in completing:
        engine.prompt_evaluated(sequence, last)
    for sequence in decoding:
        accept_drafts(engine, sequence, drafts.get(id(sequence), []))


def _add_prompt(engine: Engine, sequence: Sequence, allotment: int) -> int:
    """Add up to `allotment` positions of `sequence`'s prompt to the batch (an image is
    evaluated at once, before its text is in the batch; text after an image waits for the
    next step when text before it is in this batch). Returns the row of the prompt's last
    token when the prompt is complete, else -1."""
    sequence.mark_prompt_started()
    added_text = False
    while allotment > 0 and not sequence.prompt_done:
        piece = sequence.next_prompt_piece(_UNALIGNED, allotment)
        if piece.image is not None:
            if added_text:
                return -1
            try:
                evaluate_image(engine.ctx, engine.projector, sequence, piece, engine.spec.num_batch)
            except PollamaError as error:
                engine.fail(sequence, error.message, error.status)
                return -1
            record_piece(sequence, piece, granularity=None)
        else:
            last = add_text_piece(engine.batch, sequence, piece)
            record_piece(sequence, piece, granularity=None)
            added_text = True
            if sequence.prompt_done:
                return last
        allotment -= piece.end - piece.start
    return -1
