"""Batches list their rows in slot order.

The engine gives each slot its own KV stream (llama-server's layout). Over such streams
llama.cpp computes a batch in micro-batches that each take sequences of consecutive ids, in
the order the batch lists them: four decode rows listed 2, 0, 3, 1 cost three passes over the
weights instead of one. Slots are chosen by prefix match, so the engine's sequences are
often out of slot order; measured, that alone took 4-stream decoding from ~64 to ~38 tok/s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pollama.runner import GenerateParams, RunnerClient, RunnerSpec, step
from pollama.runner.sequence import Sequence
from tests.engine.harness import LoopThread, collect, text_of
from tests.fixtures.models import gemma_gguf_path


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


def tokens(start: int, count: int) -> list[int]:
    return list(range(start, start + count))


@pytest.fixture(scope="module")
def runner(loop_thread: LoopThread) -> Iterator[RunnerClient]:
    spec = RunnerSpec(model_path=gemma_gguf_path(), num_ctx=512, num_parallel=4, num_thread=2)
    client = loop_thread.run(RunnerClient.start(spec))
    yield client
    loop_thread.run(client.close())


def test_three_streams_beside_an_idle_slot_leave_its_cache_intact(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    # Token prompts with nothing in common: the three take the empty slots, the first one's
    # slot stays idle beside their 3-row steps.
    def greedy(prompt: list[int], n: int) -> GenerateParams:
        return GenerateParams(prompt=prompt, options={"temperature": 0, "num_predict": n})

    first = loop_thread.run(collect(runner, greedy(tokens(1000, 12), 16)))
    context = first[-1].context
    assert context is not None

    async def three() -> list[Any]:
        prompts = [tokens(3000 + 100 * i, 10) for i in range(3)]
        return await asyncio.gather(*(collect(runner, greedy(p, 24)) for p in prompts))

    for chunks in loop_thread.run(three()):
        assert chunks[-1].done and chunks[-1].eval_count > 0
    # The conversation goes on from its slot: every cell but the last sampled token's is
    # reused, and the next position is free (a stray cell left there would fail the decode).
    follow_up = loop_thread.run(collect(runner, greedy(context + tokens(2000, 4), 4)))
    assert follow_up[-1].cached_count == len(context) - 1
    assert text_of(follow_up) and follow_up[-1].eval_count == 4
