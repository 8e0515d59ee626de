"""A runner's crash message quotes what that crash printed, never an earlier failure's line.

This module kills its runner: it has a runner of its own (the fixture is per module).
"""

from __future__ import annotations

import os
import signal

import pytest

from pollama.errors import PollamaError
from pollama.runner import GenerateParams, RunnerClient
from tests.engine.harness import LoopThread, collect, greedy

pytestmark = pytest.mark.engine

# Never completes, so the stream is still running when the runner dies.
ENDLESS = GenerateParams(prompt="x", options={"temperature": 0}, grammar='root ::= "x" root')


def test_crash_message_has_no_stale_line_from_an_earlier_failure(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    # A grammar llama.cpp cannot parse: it logs "failed to parse grammar" on the runner's
    # stderr, and the request alone gets a 400.
    with pytest.raises(PollamaError) as refused:
        loop_thread.run(collect(runner, GenerateParams(prompt="Hi", grammar='root ::= "x')))
    assert refused.value.status == 400
    assert loop_thread.run(collect(runner, greedy("Hello", 2)))[-1].done

    loop_thread.run(_killed_mid_stream(runner))
    assert not runner.alive


async def _killed_mid_stream(runner: RunnerClient) -> None:
    stream = runner.generate(ENDLESS)
    assert not (await anext(stream)).done
    os.kill(runner.pid, signal.SIGKILL)  # a crash that prints nothing
    with pytest.raises(PollamaError) as died:
        async for _ in stream:
            pass
    assert died.value.message == "llama runner process has terminated: signal: killed"
