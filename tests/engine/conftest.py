"""A real runner (gemma3 270M, 4 slots) shared by the engine tests of one module.

It runs batch-invariant (POLLAMA_BATCH_INVARIANT's mode): most engine tests prove that a
request's output does not depend on what runs beside it or on the prefix cache, which only
that mode promises. tests/engine/test_fast_mode.py covers the default mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pollama.runner import RunnerClient, RunnerSpec
from tests.engine.harness import LoopThread
from tests.fixtures.models import gemma_gguf_path


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def runner(loop_thread: LoopThread) -> Iterator[RunnerClient]:
    spec = RunnerSpec(
        model_path=gemma_gguf_path(),
        num_ctx=2048,
        num_parallel=4,
        num_thread=2,
        batch_invariant=True,
    )
    client = loop_thread.run(RunnerClient.start(spec))
    yield client
    loop_thread.run(client.close())
