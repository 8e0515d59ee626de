"""Batches list their rows in slot order.

The engine gives each slot its own KV stream (llama-server's layout). Over such streams
llama.cpp computes a batch in micro-batches that each take sequences of consecutive ids, in
the order the batch lists them: four decode rows listed 2, 0, 3, 1 cost three passes over the
weights instead of one. Slots are chosen by prefix match, so the engine's sequences are
often out of slot order; measured, that alone took 4-stream decoding from ~64 to ~38 tok/s.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from pollama.runner import step
from pollama.runner.sequence import Sequence


def sequence(seq_id: int, pending: int | None = None) -> Sequence:
    slot = SimpleNamespace(seq_id=seq_id)
    return cast(Sequence, SimpleNamespace(slot=slot, pending=pending, n_past=10, batch_index=-1))


class RecordingBatch:
    def __init__(self) -> None:
        self.rows: list[tuple[int, int]] = []  # (seq_id, pos)

    def clear(self) -> None:
        self.rows.clear()

    @property
    def count(self) -> int:
        return len(self.rows)

    def add(self, token: int, pos: int, seq_id: int, wants_logits: bool) -> int:
        self.rows.append((seq_id, pos))
        return len(self.rows) - 1

    def decode(self, ctx: object) -> int:
        return 0


def test_sequences_are_put_in_slot_order() -> None:
    group = [sequence(2), sequence(0), sequence(3), sequence(1)]
    assert [cast(Any, s).slot.seq_id for s in step.in_slot_order(group)] == [0, 1, 2, 3]


def test_a_mixed_batch_lists_decode_rows_drafts_and_prompt_pieces_in_slot_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = RecordingBatch()
    engine = cast(Any, SimpleNamespace(batch=batch, ctx=None, active=[]))

    def add_prompt(engine: Any, sequence: Any, allotment: int) -> int:
        for offset in range(allotment):
            batch.add(0, offset, sequence.slot.seq_id, False)
        return -1  # the prompt goes on in a later step

    monkeypatch.setattr(step, "_add_prompt", add_prompt)
    monkeypatch.setattr(step, "accept_drafts", lambda engine, sequence, drafts: None)
    decoding = [sequence(3, pending=7), sequence(0, pending=7), sequence(2, pending=7)]
    drafts = {id(decoding[0]): [8, 9]}
    filling = [(sequence(1), 2)]
    step._mixed_batch(engine, decoding, filling, drafts)
    assert batch.rows == [(0, 10), (1, 0), (1, 1), (2, 10), (3, 10), (3, 11), (3, 12)]
    # Each decoding sequence's logits row is its pending token's.
    assert [cast(Any, s).batch_index for s in decoding] == [4, 0, 3]
