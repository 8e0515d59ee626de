"""Running `python -m pollama.convert` and following it: progress from its `tensor i/n`
lines; a refusal (exit 2) is a 400 with the child's message, anything else a 500 quoting its
last error line. The child is killed if the caller stops listening (a client that went away)."""

from __future__ import annotations

import collections
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pollama.child_status import exit_reason, killed_if_abandoned
from pollama.convert.__main__ import ERROR_PREFIX, REFUSED_STATUS
from pollama.convert.errors import ConvertError
from pollama.errors import PollamaError

_TAIL_LINES = 20


class ConvertFailed(PollamaError):
    """The conversion process failed for a reason that is not the input's (500)."""


def convert_directory(
    kind: Literal["model", "adapter"], source: Path, target: Path, *, base: Path | None = None
) -> Iterator[tuple[int, int]]:
    """Convert the directory `source` into the GGUF `target`, yielding (tensors written,
    tensor count). Raises ConvertError (400) or ConvertFailed (500)."""
    command = [sys.executable, "-m", "pollama.convert", kind, str(source), str(target)]
    if base is not None:
        command += ["--base", str(base)]
    # stderr goes to a file: a chatty child must never block on a full pipe nobody reads.
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        assert child.stdout is not None
        with killed_if_abandoned(child):
            for line in child.stdout:
                text = line.decode("ascii", "replace").removeprefix("tensor ")
                done, _, total = text.partition("/")
                if done.strip().isdigit() and total.strip().isdigit():
                    yield int(done), int(total)
            status = child.wait()
        errors.seek(0)
        tail = collections.deque(errors, maxlen=_TAIL_LINES)
    lines = [line.decode("utf-8", "replace").strip() for line in tail if line.strip()]
    if status == REFUSED_STATUS and lines and lines[-1].startswith(ERROR_PREFIX):
        raise ConvertError(lines[-1].removeprefix(ERROR_PREFIX))
    if status != 0:
        reason = lines[-1] if lines else exit_reason("the convert process", status)
        raise ConvertFailed(f"failed to convert {kind}: {reason}")
