"""The runner child process seen from the server: spawn, readiness, stderr, exit, kill.

The child gets a pipe as stdin and exits when it closes, so a runner never outlives its
server even when the server is killed outright. It stays in the server's process group, so
signalling the group (a terminal's Ctrl-C, a supervisor) reaches the runners too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections import deque
from collections.abc import AsyncIterator

from pollama.errors import PollamaError
from pollama.runner import protocol
from pollama.runner.types import RunnerSpec

STDERR_LINES_KEPT = 20
STDERR_LINE_CHARS = 8192  # longer lines are cut (the reader never fails on one)
TERMINATE_GRACE_SECONDS = 5.0

# Go's names for the signals that end a runner (os/exec says "signal: killed").
_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGABRT: "aborted",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGILL: "illegal instruction",
    signal.SIGFPE: "floating point exception",
    signal.SIGINT: "interrupt",
}


def describe_exit(returncode: int) -> str:
    """An exit status as Go's os/exec prints it: `exit status 1`, `signal: killed`."""
    if returncode < 0:
        number = -returncode
        try:
            name = _SIGNAL_NAMES.get(signal.Signals(number), f"signal {number}")
        except ValueError:
            name = f"signal {number}"
        return f"signal: {name}"
    return f"exit status {returncode}"


async def read_lines(stream: asyncio.StreamReader) -> AsyncIterator[str]:
    """Lines of text, each cut to STDERR_LINE_CHARS; a line of any length never raises."""
    pending = b""
    skipping = False  # inside a line already cut: drop the rest of it
    while chunk := await stream.read(65536):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if not skipping:
                yield _text(line)
            skipping = False
        if len(pending) > STDERR_LINE_CHARS:
            if not skipping:
                yield _text(pending)
            skipping, pending = True, b""
    if pending and not skipping:
        yield _text(pending)


def _text(line: bytes) -> str:
    return line[:STDERR_LINE_CHARS].decode("utf-8", errors="replace").rstrip("\r")


def echo(line: str) -> bool:
    """Copy a runner line to our stderr; False once that fails (a closed pipe: stop trying)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        return False
    return True


class RunnerProcess:
    def __init__(self, process: asyncio.subprocess.Process, echo_stderr: bool) -> None:
        self._process = process
        self._echo = echo_stderr
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES_KEPT)
        self._stderr_task = asyncio.create_task(self._collect_stderr())
        self.exited = asyncio.Event()
        self._exit_task = asyncio.create_task(self._watch_exit())

    @classmethod
    async def spawn(cls, spec: RunnerSpec, args: list[str]) -> RunnerProcess:
        process = await asyncio.create_subprocess_exec(
            spec.python,
            "-m",
            "pollama.runner",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return cls(process, echo_stderr=spec.debug)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def last_error_line(self) -> str:
        lines = [line for line in self.stderr_tail if line.strip()]
        return lines[-1].strip() if lines else ""

    def exit_message(self) -> str:
        """`llama runner process has terminated: signal: killed: <last stderr line>`."""
        code = self._process.returncode
        message = "llama runner process has terminated"
        if code is not None:
            message += f": {describe_exit(code)}"
        last = self.last_error_line()
        return f"{message}: {last}" if last else message

    async def _collect_stderr(self) -> None:
        """Keep the tail (and echo it when debugging) until EOF. Nothing here may fail: a
        broken echo or an endless line must not keep `exited` from being set."""
        stream = self._process.stderr
        assert stream is not None
        with contextlib.suppress(Exception):
            async for line in read_lines(stream):
                if line == protocol.STDERR_REPORTED:  # what came before was reported already
                    self.stderr_tail.clear()
                    continue
                self.stderr_tail.append(line)
                if self._echo:
                    self._echo = echo(line)

    async def _watch_exit(self) -> None:
        try:
            await self._process.wait()
            with contextlib.suppress(Exception):  # let the last stderr lines arrive
                await asyncio.wait_for(asyncio.shield(self._stderr_task), 1.0)
        finally:
            self.exited.set()

    async def wait_ready(self, timeout: float) -> str:
        """Wait for the ready line; return the address. Raises PollamaError on death/timeout."""
        stdout = self._process.stdout
        assert stdout is not None
        ready = asyncio.create_task(stdout.readline())
        died = asyncio.create_task(self.exited.wait())
        done, _ = await asyncio.wait({ready, died}, timeout=timeout, return_when="FIRST_COMPLETED")
        died.cancel()
        if ready in done and ready.result():
            with contextlib.suppress(ValueError):
                message = json.loads(ready.result())
                if message.get("ready"):
                    return str(message["address"])
        ready.cancel()
        if not done:
            last = self.last_error_line()
            raise PollamaError(
                "timed out waiting for llama runner to start" + (f": {last}" if last else "")
            )
        await self.exited.wait()
        raise PollamaError(self.exit_message())

    async def terminate(self) -> None:
        """Close stdin (the runner exits by itself), then SIGTERM, then SIGKILL; reap it."""
        process = self._process
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                break
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), TERMINATE_GRACE_SECONDS)
        with contextlib.suppress(asyncio.TimeoutError):  # set at once unless stderr lingers
            await asyncio.wait_for(self.exited.wait(), TERMINATE_GRACE_SECONDS)
        self._stderr_task.cancel()
