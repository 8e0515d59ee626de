"""Runner lifecycle with the real model: cancellation, death, memory refusal, context limits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pollama.errors import PollamaError
from pollama.runner import (
    GenerateParams,
    InsufficientMemory,
    MemoryEstimate,
    RunnerClient,
    RunnerSpec,
)
from pollama.runner import client as client_module
from pollama.runner.process import RunnerProcess
from pollama.settings import Settings
from tests.engine.harness import TURN, LoopThread, collect, greedy
from tests.fixtures.models import gemma_gguf_path

pytestmark = pytest.mark.engine

STORY = TURN.format("Write a very long story about a dragon.")
# A grammar with no end: the model can never stop, so a stream holds its slot until the test
# closes it, however fast the machine (num_predict -1 is capped at 10 x num_ctx tokens).
NEVER_ENDS = "root ::= [a-z ] root"


def endless(prompt: str) -> GenerateParams:
    return GenerateParams(
        prompt=prompt, options={"temperature": 0, "num_predict": -1}, grammar=NEVER_ENDS
    )


def spec(**overrides: object) -> RunnerSpec:
    values: dict = {"model_path": gemma_gguf_path(), "num_ctx": 512, "num_thread": 2} | overrides
    return RunnerSpec(**values)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_cancelled_request_frees_its_slot_and_others_continue(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    async def scenario() -> None:
        streams = [runner.generate(endless(STORY + str(i))) for i in range(4)]
        for stream in streams:  # all four slots are generating
            await anext(stream)
        assert (await runner.health())["active"] == 4
        late = runner.generate(greedy(TURN.format("Say hi."), 3))
        late_first = asyncio.create_task(anext(late))
        await asyncio.sleep(0.5)
        assert not late_first.done()  # queued: no free slot
        assert (await runner.health())["waiting"] == 1
        await streams[0].aclose()  # cancel one: its slot goes to the queued request
        await asyncio.wait_for(late_first, 30)
        rest = [chunk async for chunk in late]
        assert (rest or [late_first.result()])[-1].done
        for stream in streams[1:]:  # the others kept streaming all along
            assert not (await anext(stream)).done
        async for _ in runner.generate(endless(STORY)):
            break  # a consumer that just stops iterating cancels its request too
        consumer = asyncio.create_task(collect(runner, endless(STORY)))
        await asyncio.sleep(0.5)
        consumer.cancel()  # a cancelled consumer task cancels its request too
        for stream in streams[1:]:
            await stream.aclose()
        for _ in range(50):
            counts = await runner.health()
            if counts["active"] == 0 and counts["waiting"] == 0:
                break
            await asyncio.sleep(0.1)
        assert (counts["active"], counts["waiting"]) == (0, 0)

    loop_thread.run(scenario())


def test_killed_runner_fails_requests_in_flight_and_is_not_alive(loop_thread: LoopThread) -> None:
    async def scenario() -> None:
        client = await RunnerClient.start(spec(num_parallel=2))
        try:
            streams = [client.generate(endless(STORY + str(i))) for i in range(2)]
            for stream in streams:
                await anext(stream)
            os.kill(client.pid, signal.SIGKILL)
            for stream in streams:
                with pytest.raises(PollamaError) as error:
                    async with asyncio.timeout(15):
                        async for _ in stream:
                            pass
                assert error.value.message.startswith(
                    "llama runner process has terminated: signal: killed"
                )
            assert not client.alive
            with pytest.raises(PollamaError):
                await client.health()
        finally:
            await client.close()
        assert not Path(f"/proc/{client.pid}").exists()  # reaped, no zombie

    loop_thread.run(scenario())


def process_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status  # exited, waiting for whoever inherited it to reap it


def test_runner_exits_when_its_server_dies() -> None:
    script = (
        "import asyncio, sys\n"
        "from pollama.runner import RunnerClient, RunnerSpec\n"
        "async def main():\n"
        f"    client = await RunnerClient.start(RunnerSpec(model_path={str(gemma_gguf_path())!r},"
        " num_ctx=256))\n"
        "    print(client.pid, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        runner_pid = int(server.stdout.readline())
        assert not process_gone(runner_pid)
    finally:
        server.kill()  # SIGKILL: the server gets no chance to clean up
        server.wait()
    deadline = time.monotonic() + 15
    while not process_gone(runner_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process_gone(runner_pid)


def test_oversized_load_is_refused_before_spawning(
    loop_thread: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def must_not_spawn(*_args: object) -> RunnerProcess:
        raise AssertionError("spawned a runner that cannot fit")

    monkeypatch.setattr(RunnerProcess, "spawn", must_not_spawn)
    with pytest.raises(InsufficientMemory) as refused:
        loop_thread.run(RunnerClient.start(spec(memory_limit=100 * 1024**2)))
    message = refused.value.message
    assert refused.value.status == 500
    assert message.startswith("model requires more system memory (")
    assert "than is available (100.0 MiB): " in message
    assert message.endswith(" bytes required, 104857600 available")
    monkeypatch.setenv("POLLAMA_MEMORY_LIMIT", "1000")  # read by Settings, carried by the spec
    with pytest.raises(InsufficientMemory):
        loop_thread.run(RunnerClient.start(spec(memory_limit=Settings.from_env().memory_limit)))


def test_memory_estimate_is_close_to_the_real_footprint(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    loop_thread.run(collect(runner, greedy("word " * 600, 4)))  # touch weights and buffers
    measured = rss_bytes(runner.pid)
    estimate = runner.memory.total
    assert abs(estimate - measured) <= 0.25 * measured, (estimate, measured)


def test_context_shift_and_its_absence(loop_thread: LoopThread) -> None:
    async def scenario() -> None:
        client = await RunnerClient.start(spec(num_ctx=64))
        try:
            prompt = TURN.format("Count.")
            shifted = await collect(client, greedy(prompt, 120))
            assert shifted[-1].done_reason == "length" and shifted[-1].eval_count == 120
            params = GenerateParams(prompt=prompt, options={"temperature": 0}, shift=False)
            full = await collect(client, params)
            assert full[-1].done_reason == "length"
            # Every cell holds a token; the last sampled one had no room left.
            assert full[-1].eval_count == 64 - full[-1].prompt_eval_count + 1
        finally:
            await client.close()

    loop_thread.run(scenario(), timeout=180)


def test_load_failure_reports_the_runners_last_words(
    loop_thread: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + bytes(64))
    # Skip the pre-spawn check (it reads the GGUF too) so the runner itself fails to load.
    monkeypatch.setattr(client_module, "plan_memory", lambda _spec: MemoryEstimate(0, 0, 0, 0))
    with pytest.raises(PollamaError) as error:
        loop_thread.run(RunnerClient.start(spec(model_path=bogus)))
    assert error.value.message.startswith("llama runner process has terminated: exit status 1: ")
    assert "unable to load model" in error.value.message


def test_load_timeout_is_reported(loop_thread: LoopThread) -> None:
    with pytest.raises(PollamaError) as error:
        loop_thread.run(RunnerClient.start(spec(load_timeout=0.05)))
    assert error.value.message.startswith("timed out waiting for llama runner to start")
