"""Even decode batches (even_rows.py): a padding row from an idle slot, even drafts alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pollama.runner import GenerateParams, RunnerClient, RunnerSpec, step
from pollama.runner.even_rows import even_draft, pad_slot
from pollama.runner.sequence import Sequence
from pollama.runner.slots import Slot
from tests.engine.harness import LoopThread, collect, text_of
from tests.engine.test_kv_streams import RecordingBatch
from tests.fixtures.models import gemma_gguf_path


def decoding(slot: Slot) -> Sequence:
    return cast(Sequence, SimpleNamespace(slot=slot, pending=7, n_past=len(slot.tokens)))


def fake_engine(slots: list[Slot], *, swa_full: bool = True) -> Any:
    spec = SimpleNamespace(swa_full=swa_full, num_ctx=64)
    return SimpleNamespace(slots=slots, spec=spec, has_sliding_window=True, batch=RecordingBatch())


def busy_slots(count: int, cached: int = 5) -> list[Slot]:
    return [Slot(seq_id=i, tokens=list(range(cached)), busy=True) for i in range(count)]


def test_a_lone_draft_is_cut_to_an_even_batch() -> None:
    assert even_draft([]) == [] and even_draft([5]) == [5]  # 1 and 2 rows
    assert even_draft([5, 6]) == [5]  # 3 rows would cost more than 4: 2 rows
    assert even_draft([1, 2, 3, 4]) == [1, 2, 3]  # 5 rows -> 4
    assert even_draft(list(range(5))) == list(range(5))  # 6 rows
    assert len(even_draft(list(range(16)))) == 15


def test_the_padding_slot_keeps_the_ids_consecutive() -> None:
    slots = busy_slots(5)
    for free in (0, 3, 4):
        slots[free].busy = False
    engine = fake_engine(slots)
    three = [decoding(slots[i]) for i in (1, 2, 4)]
    assert pad_slot(engine, three) is slots[3]  # fills the gap
    consecutive = [decoding(slots[i]) for i in (1, 2, 3)]
    slots[3].busy = True
    assert pad_slot(engine, consecutive) is slots[0]  # before the run (then after it)
    assert pad_slot(engine, consecutive[:2]) is None  # even already
    assert pad_slot(engine, consecutive[:1]) is None  # one row is cheapest alone
    slots[0].busy = slots[4].busy = True
    assert pad_slot(engine, consecutive) is None  # no idle slot next to the run
    slots[0].busy = False
    assert pad_slot(fake_engine(slots, swa_full=False), consecutive) is None
    slots[0].tokens = list(range(63))  # no room left in its context
    assert pad_slot(engine, consecutive) is None


def test_a_padded_batch_lists_the_idle_row_in_order_and_removes_its_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = busy_slots(4)
    slots[1].busy = False
    engine = fake_engine(slots)
    engine.ctx = engine.memory = None
    engine.active = []
    removed: list[tuple[int, int, int]] = []
    fake_llama = SimpleNamespace(
        llama_memory_seq_rm=lambda m, s, p0, p1: removed.append((s, p0, p1))
    )
    monkeypatch.setattr(step, "llama", fake_llama)
    monkeypatch.setattr(step, "accept_drafts", lambda engine, sequence, drafts: None)
    rows = [decoding(slots[i]) for i in (3, 0, 2)]
    step._mixed_batch(engine, rows, [], {}, even=True)
    assert engine.batch.rows == [(0, 5), (1, 5), (2, 5), (3, 5)]
    assert removed == [(1, 5, -1)]
    # Not in the batch-invariant mode's packs, nor beside drafts.
    step._mixed_batch(engine, rows, [], {})
    assert len(engine.batch.rows) == 3
    step._mixed_batch(engine, rows, [], {id(rows[0]): [9]}, even=True)
    assert len(engine.batch.rows) == 4  # 3 pending tokens and a draft


def tokens(start: int, count: int) -> list[int]:
    return list(range(start, start + count))


@pytest.fixture(scope="module")
def runner(loop_thread: LoopThread) -> Iterator[RunnerClient]:
    spec = RunnerSpec(model_path=gemma_gguf_path(), num_ctx=512, num_parallel=4, num_thread=2)
    client = loop_thread.run(RunnerClient.start(spec))
    yield client
    loop_thread.run(client.close())


def test_three_streams_padded_with_an_idle_slot_leave_its_cache_intact(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    # Token prompts with nothing in common: the three take the empty slots, the first one's
    # slot stays idle beside them and pads their 3-row steps.
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
    # reused, and the next position is free (a padding cell left there would fail the decode).
    follow_up = loop_thread.run(collect(runner, greedy(context + tokens(2000, 4), 4)))
    assert follow_up[-1].cached_count == len(context) - 1
    assert text_of(follow_up) and follow_up[-1].eval_count == 4
