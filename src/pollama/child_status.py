"""How a child process that failed without saying why ended, in words."""

from __future__ import annotations

import signal


def exit_reason(what: str, status: int) -> str:
    """`the quantize process was killed (SIGKILL)` or `... exited with status 3`."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"{what} was killed ({name})"
    return f"{what} exited with status {status}"
