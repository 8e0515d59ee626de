"""Running `python -m pollama.quantize` and following it: progress from llama.cpp's per-tensor
log lines, a failure worded from its last error line. The child is killed if the caller stops
listening (a client that went away), so no quantization outlives its create."""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pollama.child_status import exit_reason, killed_if_abandoned
from pollama.errors import PollamaError
from pollama.quantize.types import QuantizeType

# llama.cpp's llama_model_quantize_impl logs `[%4d/%4d] name - [shape], type = ...` per tensor.
_TENSOR_LINE = re.compile(rb"^\[\s*(\d+)/\s*(\d+)\]")
_QUANTIZE_FAILED = b"failed to quantize: "
_ERROR_WORDS = (b"error", b"failed", b"exception", b"abort")
_TAIL_LINES = 20


class QuantizeFailed(PollamaError):
    """The child exited without writing the quantized file (500, the create's error line)."""


def quantize_file(
    source: Path, target: Path, target_type: QuantizeType, *, threads: int = 0
) -> Iterator[tuple[int, int]]:
    """Quantize `source` into `target`, yielding (tensors done, tensor count) as llama.cpp
    reports them. Raises QuantizeFailed when the child fails or dies."""
    child = subprocess.Popen(
        _command(source, target, target_type, threads),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    tail: collections.deque[bytes] = collections.deque(maxlen=_TAIL_LINES)
    with killed_if_abandoned(child):
        for line in child.stderr:
            match = _TENSOR_LINE.match(line)
            if match is not None:
                yield int(match.group(1)), int(match.group(2))
            elif line.strip():
                tail.append(line.strip())
        status = child.wait()
    if status != 0:
        raise QuantizeFailed(f"failed to quantize model: {_reason(status, list(tail))}")


def _command(source: Path, target: Path, target_type: QuantizeType, threads: int) -> list[str]:
    module = [sys.executable, "-m", "pollama.quantize", str(source), str(target)]
    return [*module, target_type.file_type, "--threads", str(threads)]


def _reason(status: int, tail: list[bytes]) -> str:
    if status < 0:
        return exit_reason("the quantize process", status)
    # llama.cpp catches its own exceptions and logs `llama_model_quantize: failed to quantize: X`.
    for line in tail:
        _, found, detail = line.partition(_QUANTIZE_FAILED)
        if found and detail.strip():
            return detail.strip().decode("utf-8", "replace")
    errors = [line for line in tail if any(word in line.lower() for word in _ERROR_WORDS)]
    if errors:
        return errors[-1].decode("utf-8", "replace")
    return exit_reason("the quantize process", status)
