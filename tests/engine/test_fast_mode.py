"""The default (fast) mode through a real runner: reuse of the exact common prefix, generated
tokens included; short prompts first when several prefill; speculative decoding by prompt
lookup; images in mixed batches. The batch-invariant mode's guarantees are the other engine
modules' (their runner runs in that mode), and its exact speculation is the last test here."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import time
from collections.abc import Iterator

import pytest

from pollama.runner import GenerateChunk, GenerateParams, RunnerClient, RunnerSpec
from tests.engine.harness import TURN, LoopThread, collect, greedy, text_of
from tests.fixtures.models import gemma_gguf_path
from tests.fixtures.projector import png, write_projector

pytestmark = pytest.mark.engine

LONG = " ".join(
    f"Line {i}: the {['red', 'green', 'blue'][i % 3]} box holds {i * 7} marbles."
    for i in range(120)
)
PARAGRAPH = (
    "The harbour was quiet in the early morning. Fishing boats rocked gently against the pier, "
    "their ropes creaking in the cold wind, while a few gulls circled above the water looking "
    "for scraps left behind by the night's catch."
)
RED = base64.b64encode(png(16, 16, (255, 0, 0))).decode()
COPY_TASK = TURN.format(
    "Repeat this paragraph exactly, changing only the word 'quiet' to 'calm':\n\n" + PARAGRAPH
)


@pytest.fixture(scope="module")
def fast_runner(
    loop_thread: LoopThread, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunnerClient]:
    projector = write_projector(tmp_path_factory.mktemp("mmproj") / "mmproj.gguf")
    spec = RunnerSpec(
        model_path=gemma_gguf_path(), projector=projector, num_ctx=2048, num_parallel=4,
        num_thread=2, repack_weights=True,
    )  # fmt: skip
    client = loop_thread.run(RunnerClient.start(spec))
    yield client
    loop_thread.run(client.close())


def drafting(prompt: str, num_predict: int, draft: int, **options: object) -> GenerateParams:
    return dataclasses.replace(greedy(prompt, num_predict, **options), draft_num_predict=draft)


def final(chunks: list[GenerateChunk]) -> GenerateChunk:
    assert chunks[-1].done
    return chunks[-1]


def test_the_exact_common_prefix_is_reused_generated_tokens_included(
    fast_runner: RunnerClient, loop_thread: LoopThread
) -> None:
    first_turn = TURN.format(LONG + "\nHow many marbles does line 5 hold?")
    first = loop_thread.run(collect(fast_runner, greedy(first_turn, 12)))
    answer_tokens = final(first).context
    assert answer_tokens is not None
    # The next turn of the same conversation: the whole first prompt and its answer are cached
    # (but the last answer token, which was sampled and never evaluated).
    follow_up = answer_tokens + loop_thread.run(
        fast_runner.tokenize("<end_of_turn>\n" + TURN.format("And line 6?"), add_special=False)
    )
    second = final(loop_thread.run(collect(fast_runner, greedy(follow_up, 4))))
    assert second.cached_count == len(answer_tokens) - 1
    # Another question on the same text: everything up to where the prompts differ, not only
    # whole 128-token chunks of it.
    other = TURN.format(LONG + "\nWhich line holds 70 marbles?")
    prompt = loop_thread.run(fast_runner.tokenize(first_turn))
    other_prompt = loop_thread.run(fast_runner.tokenize(other))
    shared = next(i for i, (a, b) in enumerate(zip(prompt, other_prompt, strict=False)) if a != b)
    third = final(loop_thread.run(collect(fast_runner, greedy(other, 4))))
    assert third.cached_count == shared
    assert shared % 128 != 0


def test_a_short_prompt_is_answered_before_long_prompts_finish_prefilling(
    fast_runner: RunnerClient, loop_thread: LoopThread
) -> None:
    longs = [TURN.format(f"Question {n}. {LONG}\nSum the marbles of line {n}.") for n in range(3)]
    short = TURN.format("Say hi.")
    first_token_at: dict[str, float] = {}

    async def timed(name: str, params: GenerateParams) -> None:
        async for chunk in fast_runner.generate(params):
            if name not in first_token_at and (chunk.text or chunk.done):
                first_token_at[name] = time.monotonic()

    async def scenario() -> None:
        tasks = [asyncio.create_task(timed(f"long{n}", greedy(p, 2))) for n, p in enumerate(longs)]
        while True:  # the long ones are in the engine first (it reports what it holds)
            health = await fast_runner.health()
            if health["active"] + health["waiting"] == len(longs):
                break
            await asyncio.sleep(0)
        tasks.append(asyncio.create_task(timed("short", greedy(short, 2))))
        await asyncio.gather(*tasks)

    loop_thread.run(scenario(), timeout=300)
    assert first_token_at["short"] < min(first_token_at[f"long{n}"] for n in range(3))


def test_prompt_lookup_speculation_keeps_greedy_output_and_reports_acceptance(
    fast_runner: RunnerClient, loop_thread: LoopThread
) -> None:
    plain = loop_thread.run(collect(fast_runner, greedy(COPY_TASK, 48)))
    drafted = loop_thread.run(collect(fast_runner, drafting(COPY_TASK, 48, 8)))
    assert text_of(drafted) == text_of(plain)
    assert final(plain).draft_tokens == 0
    done = final(drafted)
    assert done.eval_count == final(plain).eval_count == 48
    assert done.draft_tokens > 0 and 0 < done.draft_accepted_tokens <= done.draft_tokens


def test_speculation_alongside_other_streams_and_with_sampling(
    fast_runner: RunnerClient, loop_thread: LoopThread
) -> None:
    sampled = drafting(COPY_TASK, 32, 6, temperature=0.8, seed=7)

    async def scenario() -> list[list[GenerateChunk]]:
        return await asyncio.gather(
            collect(fast_runner, drafting(COPY_TASK, 32, 6)),
            collect(fast_runner, greedy(TURN.format("Count to five."), 16)),
            collect(fast_runner, sampled),
        )

    drafted, other, sampled_chunks = loop_thread.run(scenario())
    # In this (default) mode batched rows differ from rows alone in their last bits, so the
    # greedy text beside other streams can part from the text alone at a near-tie (this
    # prompt's first token is one on some CPUs); token-for-token equality is the batch-invariant
    # mode's promise, tested below. Here: the copy is drafted, kept and completed.
    copied = final(drafted)
    assert copied.eval_count == 32 and 0 < copied.draft_accepted_tokens <= copied.draft_tokens
    assert "The harbour was" in text_of(drafted)
    assert final(other).eval_count == 16 and final(other).draft_tokens == 0
    done = final(sampled_chunks)
    assert done.eval_count == 32 and done.draft_tokens > 0
    assert text_of(sampled_chunks)


def test_the_grammar_holds_while_drafting(
    fast_runner: RunnerClient, loop_thread: LoopThread
) -> None:
    params = dataclasses.replace(
        drafting(COPY_TASK, 24, 8), grammar='root ::= "The harbour was " [a-z ]+'
    )
    text = text_of(loop_thread.run(collect(fast_runner, params)))
    assert text.startswith("The harbour was ")
    assert set(text[len("The harbour was ") :]) <= set("abcdefghijklmnopqrstuvwxyz ")


def test_an_image_prompt_in_a_mixed_batch(
    fast_runner: RunnerClient, loop_thread: LoopThread
) -> None:
    prompt = TURN.format("[img-0] What colour is it?")
    image = GenerateParams(
        prompt=prompt, options={"temperature": 0, "num_predict": 6}, images=[RED]
    )

    async def scenario() -> list[list[GenerateChunk]]:
        return await asyncio.gather(
            collect(fast_runner, image), collect(fast_runner, greedy(TURN.format(LONG), 6))
        )

    with_image, text_only = loop_thread.run(scenario())
    assert final(with_image).eval_count == 6 and final(text_only).eval_count == 6
    again = final(loop_thread.run(collect(fast_runner, image)))
    assert again.cached_count > 0


# Prompts where the default mode's repacked, batched numbers flip a near-tie greedy token.
NEAR_TIES = [TURN.format(p) for p in ("Name three colors.", "Write a haiku about the sea.")]


def test_batch_invariant_speculation_changes_no_greedy_token(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    """`runner` is batch-invariant: drafted rows are computed as rows decoded alone, so the
    output with speculation is the output without it, alone or beside other drafting streams
    (the decode batches stay at most 7 rows)."""
    prompts = [*NEAR_TIES, COPY_TASK]

    async def scenario() -> tuple[list[list[GenerateChunk]], list[list[GenerateChunk]]]:
        plain = [await collect(runner, greedy(p, 40)) for p in prompts]
        drafted = await asyncio.gather(*(collect(runner, drafting(p, 40, 6)) for p in prompts))
        return plain, list(drafted)

    plain, drafted = loop_thread.run(scenario(), timeout=300)
    assert [text_of(c) for c in drafted] == [text_of(c) for c in plain]
    assert all(final(c).draft_tokens > 0 for c in drafted)
    assert final(drafted[-1]).draft_accepted_tokens > 0
