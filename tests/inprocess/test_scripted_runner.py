"""The scripted runner itself: the contract's behaviour without weights, and that the server's
import never loads llama.cpp."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from pollama.errors import PollamaError
from pollama.runner.scripted import ScriptedRunner, ScriptedRunners
from pollama.runner.types import GenerateChunk, GenerateParams, RunnerSpec

SPEC = RunnerSpec(model_path=Path("/tiny.gguf"), num_ctx=64)


def _generate(runner: ScriptedRunner, params: GenerateParams) -> list[GenerateChunk]:
    async def scenario() -> list[GenerateChunk]:
        return [chunk async for chunk in runner.generate(params)]

    return asyncio.run(scenario())


def test_tokens_are_stable_words_and_round_trip() -> None:
    runner = ScriptedRunner(SPEC)

    async def scenario() -> None:
        first = await runner.tokenize("the cat the")
        assert first[0] == 1 and first[1] == first[3] != first[2]
        assert await runner.tokenize("cat", add_special=False) == [first[2]]
        assert await runner.detokenize(first) == "the cat the"

    asyncio.run(scenario())


def test_final_chunk_has_the_counts() -> None:
    runner = ScriptedRunner(SPEC, reply=["x", " y"])
    chunks = _generate(runner, GenerateParams(prompt="a b c"))
    assert [c.text for c in chunks] == ["x", " y", ""]
    final = chunks[-1]
    assert final.done and final.done_reason == "stop"
    assert (final.prompt_eval_count, final.eval_count) == (4, 2)
    assert final.prompt_eval_duration > 0 and final.eval_duration > 0
    assert final.context is not None and final.context[:4] == [1, 100, 101, 102]


def test_num_predict_zero_and_stop_strings() -> None:
    runner = ScriptedRunner(SPEC, reply=["ab", "cd", "ef"])
    none = _generate(runner, GenerateParams(prompt="p", options={"num_predict": 0}))
    assert [(c.text, c.done_reason) for c in none] == [("", "length")]
    stopped = _generate(runner, GenerateParams(prompt="p", options={"stop": ["de"]}))
    assert "".join(c.text for c in stopped) == "abc" and stopped[-1].done_reason == "stop"


def test_scripted_death() -> None:
    runner = ScriptedRunner(SPEC, reply=["a", "b"])
    runner.fail(after=1, die=True)
    with pytest.raises(PollamaError, match="has terminated"):
        _generate(runner, GenerateParams(prompt="p"))
    assert not runner.alive and runner.cancelled == 1
    with pytest.raises(PollamaError, match="has terminated"):
        asyncio.run(runner.tokenize("x"))


def test_embeddings_are_deterministic() -> None:
    runner = ScriptedRunner(SPEC, embedding_length=4)
    first = asyncio.run(runner.embed(["a", "b"]))
    again = asyncio.run(runner.embed(["a"]))
    assert len(first.embeddings[0]) == 4 and first.embeddings[0] == again.embeddings[0]
    assert first.embeddings[0] != first.embeddings[1] and first.token_counts == [2, 2]


def test_the_factory_shares_one_vocabulary_and_can_refuse() -> None:
    runners = ScriptedRunners(reply=["hi"])

    async def scenario() -> None:
        one = await runners(SPEC)
        two = await runners(SPEC)
        assert await one.tokenize("word") == await two.tokenize("word")
        runners.refuse(PollamaError("no memory"))
        with pytest.raises(PollamaError, match="no memory"):
            await runners(SPEC)
        assert runners.started == [one, two] and runners.latest is two

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "module", ["pollama.server.app", "pollama.runner.contract", "pollama.runner.scripted"]
)
def test_importing_the_server_side_never_loads_llama_cpp(module: str) -> None:
    code = f"import sys, {module}; assert 'llama_cpp' not in sys.modules, 'llama_cpp loaded'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
