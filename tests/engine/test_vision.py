"""Images through a projector in a real runner (gemma3 270M with a generated projector of
random weights): an image reaches the model (token counts, outputs that follow the image),
shares the prefix cache only with itself, and a broken projector is a load error."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pollama.errors import PollamaError
from pollama.runner import GenerateParams, RunnerClient, RunnerSpec
from tests.engine.harness import TURN, LoopThread, collect, text_of
from tests.fixtures.models import gemma_gguf_path
from tests.fixtures.projector import TOKENS_PER_IMAGE, png, write_projector

pytestmark = pytest.mark.engine

# The image tag goes where Ollama puts it, in front of the user's text; a long shared
# text before it lets the prefix cache show.
LEAD = "You are a careful assistant. " * 30
PROMPT = TURN.format(LEAD + "[img-0]Describe the picture.")
RED = base64.b64encode(png(16, 16, (255, 0, 0))).decode()
NOISE = base64.b64encode(png(40, 24, (0, 0, 0), seed=7)).decode()


@pytest.fixture(scope="module")
def projector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_projector(tmp_path_factory.mktemp("mmproj") / "mmproj.gguf")


@pytest.fixture(scope="module")
def vision_runner(loop_thread: LoopThread, projector: Path) -> Iterator[RunnerClient]:
    spec = RunnerSpec(
        model_path=gemma_gguf_path(), projector=projector, num_ctx=2048, num_parallel=2,
        num_thread=2, batch_invariant=True,
    )  # fmt: skip
    client = loop_thread.run(RunnerClient.start(spec))
    yield client
    loop_thread.run(client.close())


def run(
    loop_thread: LoopThread, client: RunnerClient, prompt: str, images: list[str]
) -> tuple[str, int, int]:
    text, count, cached, _ = run_with_logprobs(loop_thread, client, prompt, images)
    return text, count, cached


def run_with_logprobs(
    loop_thread: LoopThread, client: RunnerClient, prompt: str, images: list[str]
) -> tuple[str, int, int, tuple[float, ...]]:
    """(text, prompt tokens, cached tokens, each generated token's logprob)."""
    params = GenerateParams(
        prompt=prompt, images=images, options={"temperature": 0, "num_predict": 12},
        logprobs=True,
    )  # fmt: skip
    chunks = loop_thread.run(collect(client, params))
    final = chunks[-1]
    logprobs = tuple(lp.logprob for chunk in chunks for lp in chunk.logprobs or [])
    return text_of(chunks), final.prompt_eval_count, final.cached_count, logprobs


def test_an_image_adds_its_tokens_and_follows_the_image(
    loop_thread: LoopThread, vision_runner: RunnerClient
) -> None:
    text_only = TURN.format(LEAD + "Describe the picture.")
    _, plain_count, _ = run(loop_thread, vision_runner, text_only, [])
    red, red_count, _, red_logprobs = run_with_logprobs(loop_thread, vision_runner, PROMPT, [RED])
    # the image's positions, mtmd's <start_of_image> / <end_of_image> around them (and
    # the text on either side of the tag is tokenized apart)
    assert TOKENS_PER_IMAGE + 2 <= red_count - plain_count <= TOKENS_PER_IMAGE + 4
    noise, noise_count, _, noise_logprobs = run_with_logprobs(
        loop_thread, vision_runner, PROMPT, [NOISE]
    )
    assert noise_count == red_count
    # The random projector's images may not move a greedy token of this text (they do on
    # some CPUs), but they always move the model's probabilities.
    assert (noise, noise_logprobs) != (red, red_logprobs)
    again = run_with_logprobs(loop_thread, vision_runner, PROMPT, [RED])
    assert (again[0], again[3]) == (red, red_logprobs)


def test_the_prefix_cache_keeps_an_image_only_for_the_same_image(
    loop_thread: LoopThread, vision_runner: RunnerClient
) -> None:
    before, after = TURN.format(LEAD + "[img-0] What colour is it?").split("[img-0]")
    prompt = before + "[img-0]" + after
    # mtmd tokenizes the text before the tag apart, then <start_of_image>, then the image
    image_start = len(loop_thread.run(vision_runner.tokenize(before))) + 1
    first, _, _ = run(loop_thread, vision_runner, prompt, [RED])
    warm, _, cached = run(loop_thread, vision_runner, prompt, [RED])
    assert warm == first
    assert cached >= image_start + TOKENS_PER_IMAGE  # the image's cells were reused
    _, _, cached_other = run(loop_thread, vision_runner, prompt, [NOISE])
    assert 0 < cached_other <= image_start  # the text before it only


def test_a_bad_image_index_or_bad_data_is_a_clear_error(
    loop_thread: LoopThread, vision_runner: RunnerClient
) -> None:
    with pytest.raises(PollamaError, match="invalid image index: 1"):
        run(loop_thread, vision_runner, "[img-1] hi", [RED])
    with pytest.raises(PollamaError, match="invalid image data"):
        run(loop_thread, vision_runner, "[img-0] hi", ["not base64!"])
    with pytest.raises(PollamaError, match="failed to decode image"):
        run(loop_thread, vision_runner, "[img-0] hi", [base64.b64encode(b"nope").decode()])


def test_a_runner_without_projector_refuses_images(
    loop_thread: LoopThread, runner: RunnerClient
) -> None:
    with pytest.raises(PollamaError, match="does not support images"):
        run(loop_thread, runner, "[img-0] hi", [RED])


@pytest.mark.parametrize("fault", ["truncated", "other model"])
def test_a_broken_projector_fails_the_load(
    loop_thread: LoopThread, tmp_path: Path, projector: Path, fault: str
) -> None:
    broken = tmp_path / "mmproj.gguf"
    if fault == "truncated":
        broken.write_bytes(projector.read_bytes()[:5000])
    else:
        write_projector(broken, text_embd=320)
    spec = RunnerSpec(model_path=gemma_gguf_path(), projector=broken, num_ctx=256, num_thread=2)
    with pytest.raises(PollamaError, match="unable to load projector"):
        loop_thread.run(RunnerClient.start(spec))
    assert replace(spec, projector=None).projector is None
