"""LoRA adapters in a real runner: applied exactly as llama.cpp's own `Llama(lora_path=...)`,
several adapter sets batched on one runner, kept apart in the prefix cache, refusals contained.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pollama.errors import PollamaError
from pollama.runner import GenerateParams, RunnerClient, RunnerSpec
from tests.engine.harness import TURN, LoopThread, collect, text_of
from tests.fixtures.lora import write_lora
from tests.fixtures.models import gemma_gguf_path

pytestmark = pytest.mark.engine

PROMPT = TURN.format("Write a poem about the sea.")
NUM_PREDICT = 16

# llama-cpp-python's high-level API, in its own process (keeps llama_cpp out of this one).
REFERENCE = """
import json, sys
import llama_cpp.llama_cpp as low
from llama_cpp import Llama
from pollama.runner.model import repacking_is_safe
args = json.loads(sys.argv[1])
# The weight layout pollama's runner gets for repack_weights=True on this build (see
# repacking_is_safe: an AMX build's repacked weights crash, in llama-cpp-python's own API too).
defaults = low.llama_model_default_params
def model_params():
    params = defaults()
    params.use_extra_bufts = repacking_is_safe()
    return params
low.llama_model_default_params = model_params
llm = Llama(model_path=args["model"], lora_path=args["lora"], n_ctx=1024, seed=0,
            n_threads=2, flash_attn=True, verbose=False)
out = []
for token in llm.generate(args["prompt"], top_k=1, temp=0.0, repeat_penalty=1.0):
    if llm.token_eos() == token or len(out) >= args["n"]:
        break
    out.append(int(token))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("lora")
    return [str(write_lora(folder / f"lora{seed}.gguf", seed)) for seed in (1, 2, 3)]


@pytest.fixture(scope="module")
def reference_runner(loop_thread: LoopThread) -> Iterator[RunnerClient]:
    # llama-cpp-python's defaults: repacked CPU weights and flash attention, one sequence.
    spec = RunnerSpec(
        model_path=gemma_gguf_path(),
        num_ctx=1024,
        num_parallel=1,
        num_thread=2,
        repack_weights=True,
        flash_attention="on",
    )
    client = loop_thread.run(RunnerClient.start(spec))
    yield client
    loop_thread.run(client.close())


def params(prompt: str | list[int], adapters: tuple[str, ...] = ()) -> GenerateParams:
    options = {"temperature": 0, "num_predict": NUM_PREDICT}
    return GenerateParams(prompt=prompt, options=options, adapters=adapters)


def generated_tokens(runner: RunnerClient, loop_thread: LoopThread, p: GenerateParams) -> tuple:
    chunks = loop_thread.run(collect(runner, p))
    final = chunks[-1]
    assert final.context is not None
    prompt_length = final.prompt_eval_count
    return tuple(final.context[:prompt_length]), tuple(final.context[prompt_length:])


def reference_tokens(prompt: list[int], lora: str) -> list[int]:
    args = {"model": str(gemma_gguf_path()), "lora": lora, "prompt": prompt, "n": NUM_PREDICT}
    done = subprocess.run(
        [sys.executable, "-c", REFERENCE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_adapter_output_equals_llama_cpp_python_and_differs_from_base(
    reference_runner: RunnerClient, loop_thread: LoopThread, adapters: list[str]
) -> None:
    prompt, base = generated_tokens(reference_runner, loop_thread, params(PROMPT))
    _, adapted = generated_tokens(reference_runner, loop_thread, params(PROMPT, (adapters[0],)))
    assert adapted != base
    assert list(adapted) == reference_tokens(list(prompt), adapters[0])


def test_mixed_adapter_sets_batch_on_one_runner_as_when_alone(
    runner: RunnerClient, loop_thread: LoopThread, adapters: list[str]
) -> None:
    sets = [(), (adapters[0],), (adapters[1],), (adapters[2],)]

    async def scenario() -> tuple[list[str], list[str]]:
        alone = [text_of(await collect(runner, params(PROMPT, s))) for s in sets]
        together = await asyncio.gather(*(collect(runner, params(PROMPT, s)) for s in sets))
        return alone, [text_of(chunks) for chunks in together]

    alone, together = loop_thread.run(scenario())
    assert together == alone
    assert len(set(alone)) == len(sets)  # every adapter changes the answer its own way


def test_the_prefix_cache_is_kept_per_adapter_set(
    runner: RunnerClient, loop_thread: LoopThread, adapters: list[str]
) -> None:
    long_prompt = TURN.format(" ".join(f"Line {i} of a long letter." for i in range(80)))

    def final(adapter_set: tuple[str, ...]) -> tuple[int, str]:
        chunks = loop_thread.run(collect(runner, params(long_prompt, adapter_set)))
        return chunks[-1].cached_count, text_of(chunks)

    final(())  # the base's cells for this prompt are now in a slot
    cold_cached, cold_text = final((adapters[0],))
    warm_cached, warm_text = final((adapters[0],))
    assert cold_cached == 0  # the base's cells are not the adapter's
    assert warm_cached > 0 and warm_text == cold_text


def test_a_refused_adapter_fails_its_request_and_the_runner_goes_on(
    runner: RunnerClient, loop_thread: LoopThread, tmp_path: Path
) -> None:
    bad = write_lora(tmp_path / "wrong.gguf", 9, wrong_shape=True)
    with pytest.raises(PollamaError, match="unable to load LoRA adapter"):
        loop_thread.run(collect(runner, params(PROMPT, (str(bad),))))
    assert text_of(loop_thread.run(collect(runner, params(PROMPT))))
    assert runner.alive
