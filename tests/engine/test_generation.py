"""Generation through a real runner: batching, stops, UTF-8, prefix cache, grammar, limits."""

from __future__ import annotations

import asyncio
import json

import pytest

from pollama.errors import PollamaError
from pollama.runner import GenerateParams, RunnerClient
from pollama.runner.context_window import PROMPT_TOO_LONG
from tests.engine.harness import TURN, LoopThread, collect, greedy, text_of

pytestmark = pytest.mark.engine

PROMPTS = [
    TURN.format("What is the capital of France?"),
    TURN.format("Tell me a joke about cats."),
    "The quick brown fox jumps over",
    TURN.format("日本の首都はどこですか？"),
]
# A ~700-token shared prefix: longer than gemma3's 512-token sliding window.
LONG_PREFIX = " ".join(f"Item {i} is a {['red', 'green', 'blue'][i % 3]} box." for i in range(100))


def test_batched_output_equals_one_at_a_time(runner: RunnerClient, loop_thread: LoopThread) -> None:
    # A long prompt too: its chunks are evaluated while the others already stream.
    prompts = [*PROMPTS, TURN.format(LONG_PREFIX + "\nWhich box is item 42?")]

    async def scenario() -> tuple[list[str], list[str]]:
        alone = [text_of(await collect(runner, greedy(p, 24))) for p in prompts]
        together = await asyncio.gather(*(collect(runner, greedy(p, 24)) for p in prompts))
        return alone, [text_of(chunks) for chunks in together]

    alone, together = loop_thread.run(scenario())
    assert together == alone
    assert all(alone)


def test_final_chunk_metrics_and_context(runner: RunnerClient, loop_thread: LoopThread) -> None:
    chunks = loop_thread.run(collect(runner, greedy(PROMPTS[0], 8)))
    final = chunks[-1]
    assert final.done and final.done_reason == "length"
    assert all(not chunk.done for chunk in chunks[:-1])
    assert final.eval_count == 8 and final.eval_duration > 0 and final.prompt_eval_duration > 0
    prompt = loop_thread.run(runner.tokenize(PROMPTS[0]))
    assert final.prompt_eval_count == len(prompt)
    assert final.context is not None and final.context[: len(prompt)] == prompt
    assert len(final.context) == len(prompt) + 8
    generated = loop_thread.run(runner.detokenize(final.context[len(prompt) :]))
    assert generated == text_of(chunks)


def test_stop_string_across_tokens_is_exact_and_never_leaked(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    prompt = "日本の首都はどこですか？"
    chunks = loop_thread.run(collect(runner, greedy(prompt, 24)))
    reference = text_of(chunks)
    final = chunks[-1]
    assert final.context is not None
    pieces = [
        loop_thread.run(runner.detokenize([token]))
        for token in final.context[final.prompt_eval_count :]
    ]
    # A stop string that starts inside one multi-character token and ends in the next one.
    i = next(i for i, piece in enumerate(pieces[2:], 2) if len(piece) >= 2 and pieces[i + 1])
    stop = pieces[i][1:] + pieces[i + 1][:1]
    expected = reference[: reference.index(stop)]
    chunks = loop_thread.run(collect(runner, greedy(prompt, 24, stop=[stop])))
    assert chunks[-1].done_reason == "stop"
    assert text_of(chunks) == expected
    for n in range(1, len(chunks) + 1):  # no chunk ever showed part of the stop
        seen = text_of(chunks[:n])
        assert not any(seen.endswith(stop[:k]) for k in range(1, len(stop) + 1))


def test_utf8_streaming_never_splits_a_character(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    # gemma spells these emoji as four byte-tokens each: every character spans tokens.
    prompt = "Animals: 🦒 🦓 🦔 🦕 🦖 🦗 🦘 🦙 🦚 🦛"
    chunks = loop_thread.run(collect(runner, greedy(prompt, 20)))
    text = text_of(chunks)
    assert any(ord(ch) > 0xFFFF for ch in text), text
    assert all("\ufffd" not in chunk.text for chunk in chunks)
    final = chunks[-1]
    assert final.context is not None
    tokens = final.context[final.prompt_eval_count :]
    assert loop_thread.run(runner.detokenize(tokens)) == text
    assert len(chunks) < len(tokens)  # byte tokens were held until their character completed


def test_prefix_cache_is_counted_and_exact_past_the_sliding_window(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    first = TURN.format(LONG_PREFIX + "\nWhich box is item 7?")
    second = TURN.format(LONG_PREFIX + "\nHow many boxes are blue?")

    async def scenario() -> tuple[list, list, list]:
        cold = await collect(runner, greedy(second, 12))
        other = await collect(runner, greedy(first, 12))
        warm = await collect(runner, greedy(second, 12))
        return cold, other, warm

    cold, other, warm = loop_thread.run(scenario())
    prompt_length = cold[-1].prompt_eval_count
    assert prompt_length > 600
    assert cold[-1].cached_count < 10  # at most a shared BOS or template header
    shared = other[-1].cached_count
    assert shared > 600  # the long prefix came from the cache
    assert warm[-1].prompt_eval_count == prompt_length
    assert warm[-1].cached_count >= shared
    assert text_of(warm) == text_of(cold)
    # Same prompt again: every whole aligned chunk but the last token is cached.
    again = loop_thread.run(collect(runner, greedy(second, 12)))
    assert again[-1].cached_count == (prompt_length - 1) // 128 * 128
    assert text_of(again) == text_of(cold)


def test_grammar_constrains_output(runner: RunnerClient, loop_thread: LoopThread) -> None:
    grammar = 'root ::= "{" ws "\\"answer\\":" ws ("true" | "false") ws "}"\nws ::= [ ]?'
    params = GenerateParams(
        prompt=TURN.format("Is the sky blue? Answer in JSON."),
        options={"temperature": 0.7, "seed": 3, "num_predict": 40},
        grammar=grammar,
    )
    chunks = loop_thread.run(collect(runner, params))
    assert chunks[-1].done_reason == "stop"
    assert isinstance(json.loads(text_of(chunks))["answer"], bool)


def test_invalid_grammar_is_a_clear_400(runner: RunnerClient, loop_thread: LoopThread) -> None:
    params = GenerateParams(prompt="hi", grammar='root ::= "unclosed')
    with pytest.raises(PollamaError) as error:
        loop_thread.run(collect(runner, params))
    assert error.value.status == 400 and "grammar" in error.value.message
    assert loop_thread.run(runner.health())["status"] == "ok"  # the runner is fine


def test_sampling_with_a_seed_is_reproducible(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    options = {"temperature": 1.0, "top_k": 50, "top_p": 0.95, "min_p": 0.01, "seed": 42}
    options |= {"repeat_penalty": 1.2, "presence_penalty": 0.5, "frequency_penalty": 0.5}
    options |= {"typical_p": 0.9, "num_predict": 12}
    params = GenerateParams(prompt=PROMPTS[1], options=options)
    first = text_of(loop_thread.run(collect(runner, params)))
    second = text_of(loop_thread.run(collect(runner, params)))
    assert first == second and first


def test_logprobs(runner: RunnerClient, loop_thread: LoopThread) -> None:
    params = GenerateParams(
        prompt=PROMPTS[0],
        options={"temperature": 0, "num_predict": 4},
        logprobs=True,
        top_logprobs=3,
    )
    chunks = loop_thread.run(collect(runner, params))
    logprobs = [lp for chunk in chunks for lp in (chunk.logprobs or [])]
    assert len(logprobs) == 4
    for entry in logprobs:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 3
        assert entry.top_logprobs[0].logprob >= entry.top_logprobs[-1].logprob
        assert entry.logprob == pytest.approx(entry.top_logprobs[0].logprob)  # greedy


def test_prompt_as_token_ids(runner: RunnerClient, loop_thread: LoopThread) -> None:
    tokens = loop_thread.run(runner.tokenize(PROMPTS[2]))
    by_text = text_of(loop_thread.run(collect(runner, greedy(PROMPTS[2], 6))))
    by_tokens = text_of(loop_thread.run(collect(runner, greedy(tokens, 6))))
    assert by_tokens == by_text
    with pytest.raises(PollamaError) as error:
        loop_thread.run(collect(runner, greedy([10**9], 2)))
    assert error.value.status == 400


def test_prompt_longer_than_context(runner: RunnerClient, loop_thread: LoopThread) -> None:
    long_prompt = "word " * 2100  # num_ctx is 2048
    refused = GenerateParams(prompt=long_prompt, options={"num_predict": 1}, shift=False)
    with pytest.raises(PollamaError) as error:
        loop_thread.run(collect(runner, refused))
    assert error.value.status == 400 and error.value.message == PROMPT_TOO_LONG
    chunks = loop_thread.run(collect(runner, greedy(long_prompt, 1)))
    assert chunks[-1].done and chunks[-1].prompt_eval_count < 2048


def test_num_predict_zero_evaluates_the_prompt_only(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    chunks = loop_thread.run(collect(runner, greedy(PROMPTS[2], 0)))
    assert len(chunks) == 1 and chunks[0].done_reason == "length"
    assert chunks[0].eval_count == 0 and chunks[0].prompt_eval_count > 0


def test_tokenize_detokenize_round_trip(runner: RunnerClient, loop_thread: LoopThread) -> None:
    tokens = loop_thread.run(runner.tokenize("Hello, world"))
    assert tokens[0] == 2  # gemma's BOS
    assert loop_thread.run(runner.tokenize("Hello, world", add_special=False)) == tokens[1:]
    assert loop_thread.run(runner.detokenize(tokens[1:])) == "Hello, world"
