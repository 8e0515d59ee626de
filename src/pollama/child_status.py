"""Child processes (quantize, convert): how one that failed without saying why ended, in
words, and one never outliving a caller that stopped following it."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def exit_reason(what: str, status: int) -> str:
    """`the quantize process was killed (SIGKILL)` or `... exited with status 3`."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"{what} was killed ({name})"
    return f"{what} exited with status {status}"


@contextmanager
def killed_if_abandoned(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """Around following `child`: if the caller leaves early (an error, a generator closed
    because its client went away), the child is killed and reaped. Its pipes are closed
    either way."""
    try:
        yield
    except BaseException:
        child.kill()
        child.wait()
        raise
    finally:
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
