"""Uploaded safetensors files converted into a GGUF blob (Ollama's server/create.go,
convertFromSafetensors).

The files are staged under their names, converted by the child process into the staging
folder, checked as any uploaded GGUF is, hashed, pinned and stored through the blob store's
verified writer. The staging folder never outlives the call, whatever happens.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from pathlib import Path
from typing import Any, Literal

from pollama.convert.plan import ConversionPlan
from pollama.convert.process import ConvertFailed, convert_directory
from pollama.convert.staging import staged
from pollama.gguf import metadata
from pollama.quantize.layer import PROGRESS_DIGEST
from pollama.store import PinSet
from pollama.store.blobs import BlobStore, digest_file

_OUTPUT_NAME = ".converted.gguf"


def tensor_bytes(plan: ConversionPlan) -> list[int]:
    """The data size of each planned tensor, in writing order."""
    sizes = []
    for tensor in plan.tensors:
        count = 1
        for dim in tensor.shape:
            count *= dim
        sizes.append(count * (4 if tensor.dtype == "F32" else 2))
    return sizes


def convert_blobs(
    blobs: BlobStore,
    pins: PinSet,
    kind: Literal["model", "adapter"],
    files: dict[str, str],
    plan: ConversionPlan,
    *,
    base: Path | None = None,
) -> Generator[dict[str, Any], None, tuple[str, bool]]:
    """Convert the uploaded `files` (validated into `plan` already), yielding Ollama's
    `converting model` / `converting adapter` status with progress in bytes written; returns
    the new GGUF blob's digest (pinned in `pins`) and whether the blob is new to the store."""
    status = f"converting {kind}"
    written = [0, *itertools.accumulate(tensor_bytes(plan))]
    total = written[-1]
    yield {"status": status, "digest": PROGRESS_DIGEST, "total": total, "completed": 0}
    with staged(blobs, files) as source:
        target = source / _OUTPUT_NAME
        for done, _count in convert_directory(kind, source, target, base=base):
            completed = written[min(done, len(written) - 1)]
            yield {
                "status": status,
                "digest": PROGRESS_DIGEST,
                "total": total,
                "completed": completed,
            }
        _check(kind, target)
        digest = digest_file(target)
        pins.add(digest)  # before it exists: a concurrent prune must not take it
        created = not blobs.exists(digest)
        if created:
            blobs.import_file(target)
    return digest, created


def _check(kind: str, path: Path) -> None:
    """The child said it succeeded; the file must be a GGUF pollama can load."""
    problem = metadata.written_file_problem(path)
    if problem:
        raise ConvertFailed(f"failed to convert {kind}: {problem}")
