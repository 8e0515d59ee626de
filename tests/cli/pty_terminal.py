"""A CLI process on a pseudo-terminal, for driving the interactive `run` session in e2e tests."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time


class Terminal:
    """`python -m pollama ARGS` with a terminal for stdin, stdout and stderr."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self._fd, terminal = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pollama", *args],
            env={**env, "TERM": "dumb", "COLUMNS": "100", "OLLAMA_NOHISTORY": "1"},
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            start_new_session=True,
        )
        os.close(terminal)
        self._pending = b""  # read but not yet matched

    def expect(self, marker: bytes, timeout: float = 60) -> bytes:
        """The output up to and including the next `marker`; what follows it is kept."""
        deadline = time.monotonic() + timeout
        while marker not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {marker!r}; got {self._pending!r}")
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(self._fd, 4096)
            except OSError:  # the process is gone and the terminal closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"output ended before {marker!r}; got {self._pending!r}")
            self._pending += chunk
        head, _, self._pending = self._pending.partition(marker)
        return head + marker

    def send(self, line: str) -> None:
        os.write(self._fd, line.encode() + b"\n")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self._fd)
