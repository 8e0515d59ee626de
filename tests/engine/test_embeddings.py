"""Pooled embeddings through a real runner: shape, determinism, batching, limits."""

from __future__ import annotations

import numpy as np
import pytest

from pollama.errors import PollamaError
from pollama.runner import RunnerClient
from tests.engine.harness import LoopThread

pytestmark = pytest.mark.engine

TEXTS = ["The cat sat on the mat.", "A dog barked.", "日本の首都は東京です。", "x" * 40]


def test_shape_and_token_counts(runner: RunnerClient, loop_thread: LoopThread) -> None:
    result = loop_thread.run(runner.embed(TEXTS))
    assert len(result.embeddings) == len(TEXTS)
    assert all(len(vector) == 640 for vector in result.embeddings)  # gemma3 270M's n_embd
    expected = [len(loop_thread.run(runner.tokenize(text))) for text in TEXTS]
    assert result.token_counts == expected
    assert result.prompt_eval_count == sum(expected)
    assert all(
        np.isfinite(vector).all() and np.linalg.norm(vector) > 0 for vector in result.embeddings
    )


def test_deterministic_and_batch_equals_one_by_one(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    batch = loop_thread.run(runner.embed(TEXTS)).embeddings
    again = loop_thread.run(runner.embed(TEXTS)).embeddings
    assert batch == again
    for text, vector in zip(TEXTS, batch, strict=True):
        alone = loop_thread.run(runner.embed([text])).embeddings[0]
        np.testing.assert_allclose(alone, vector, rtol=1e-3, atol=1e-4)
    different = np.corrcoef(batch[0], batch[2])[0, 1]
    assert different < 0.999


def test_input_longer_than_the_context_is_a_clear_error(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    with pytest.raises(PollamaError) as error:
        loop_thread.run(runner.embed(["word " * 2100]))  # num_ctx is 2048
    assert error.value.status == 400
    assert error.value.message == "the input length exceeds the context length"


def test_empty_list_and_generation_still_works(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    assert loop_thread.run(runner.embed([])).embeddings == []
    from tests.engine.harness import collect, greedy

    chunks = loop_thread.run(collect(runner, greedy("Hello", 3)))
    assert chunks[-1].done
