"""The runner's stderr as the server reads it: endless lines, a broken echo, reported marks.

Plain child processes stand in for a runner; no model is loaded.
"""

from __future__ import annotations

import asyncio
import io
import sys

import pytest

from pollama.runner import protocol
from pollama.runner.process import STDERR_LINE_CHARS, RunnerProcess, echo, read_lines


async def _child(script: str, echo_stderr: bool = False) -> RunnerProcess:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return RunnerProcess(process, echo_stderr=echo_stderr)


class _BrokenPipe(io.TextIOBase):
    """A stderr whose reader has gone, as `serve 2>&1 | tee log` after Ctrl-C."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


# Prints a 100 KiB line (over asyncio's 64 KiB line limit), then more lines, then dies.
LONG_LINE_THEN_CRASH = (
    "import sys\n"
    "sys.stderr.write('x' * 100_000 + '\\n')\n"
    "sys.stderr.write('after the long line\\n')\n"
    "sys.stderr.write('GGML_ASSERT: the real reason\\n')\n"
    "sys.exit(3)\n"
)


def test_a_long_line_and_a_broken_echo_never_stop_the_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario() -> None:
        monkeypatch.setattr(sys, "stderr", _BrokenPipe())
        runner = await _child(LONG_LINE_THEN_CRASH, echo_stderr=True)
        await asyncio.wait_for(runner.exited.wait(), 30)
        await asyncio.wait_for(runner.terminate(), 30)  # returns at once: it has exited
        assert runner.exit_message() == (
            "llama runner process has terminated: exit status 3: GGML_ASSERT: the real reason"
        )
        assert list(runner.stderr_tail)[-2:] == [
            "after the long line",
            "GGML_ASSERT: the real reason",
        ]
        assert len(runner.stderr_tail[0]) == STDERR_LINE_CHARS

    asyncio.run(scenario())


def test_lines_before_a_reported_mark_are_not_quoted_at_the_crash() -> None:
    script = (
        "import os, signal, sys\n"
        "print('failed to parse grammar', file=sys.stderr, flush=True)\n"
        f"print({protocol.STDERR_REPORTED!r}, file=sys.stderr, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )

    async def scenario() -> str:
        runner = await _child(script)
        await asyncio.wait_for(runner.exited.wait(), 30)
        return runner.exit_message()

    assert asyncio.run(scenario()) == "llama runner process has terminated: signal: killed"


def test_read_lines_cuts_endless_lines_and_keeps_the_rest() -> None:
    async def lines(data: bytes) -> list[str]:
        stream = asyncio.StreamReader()
        stream.feed_data(data)
        stream.feed_eof()
        return [line async for line in read_lines(stream)]

    long = b"y" * (3 * 65536 + 5)
    got = asyncio.run(lines(b"one\r\n" + long + b"\ntwo\n" + long + b"\nthree"))
    assert got == ["one", "y" * STDERR_LINE_CHARS, "two", "y" * STDERR_LINE_CHARS, "three"]


def test_echo_reports_a_broken_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", _BrokenPipe())
    assert echo("a runner line") is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert echo("a runner line") is True
