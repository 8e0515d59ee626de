"""A stored model blob quantized into a new blob (Ollama's server/create.go, quantizeLayer).

llama.cpp writes to a temp file inside the blobs directory (a crash leaves a `.tmp-` file that
the next server start removes); the result is checked as any uploaded GGUF would be, hashed,
pinned, and stored through the blob store's verified writer. The temp file never outlives the
call, whatever happens."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

from pollama.gguf import metadata
from pollama.quantize.process import QuantizeFailed, quantize_file
from pollama.quantize.types import QuantizeType
from pollama.store import PinSet
from pollama.store.blobs import BlobStore, digest_file
from pollama.store.oserrors import StoreWriteError

# The placeholder digest Ollama's quantize progress carries (it names no blob).
PROGRESS_DIGEST = "0000000000000000000"


def quantize_blob(
    blobs: BlobStore, pins: PinSet, source_digest: str, source_type: str, target: QuantizeType
) -> Generator[dict[str, Any], None, tuple[str, bool]]:
    """Quantize the model blob `source_digest` (of file type `source_type`) to `target`,
    yielding Ollama's progress statuses; returns the new blob's digest (pinned in `pins`) and
    whether the blob is new to the store."""
    source = blobs.path(source_digest)
    total = source.stat().st_size
    status = f"quantizing {source_type} model to {target.label}"
    yield {"status": status, "digest": PROGRESS_DIGEST, "total": total, "completed": 0}
    temp = _temp_file(blobs)
    try:
        for done, count in quantize_file(source, temp, target):
            completed = total * done // count if count else total
            yield {
                "status": status,
                "digest": PROGRESS_DIGEST,
                "total": total,
                "completed": completed,
            }
        _check(temp)
        digest = digest_file(temp)
        pins.add(digest)  # before it exists: a concurrent prune must not take it
        created = not blobs.exists(digest)
        if created:
            blobs.import_file(temp)
    finally:
        temp.unlink(missing_ok=True)
    return digest, created


def _temp_file(blobs: BlobStore) -> Path:
    blobs.ensure()
    try:
        fd, name = tempfile.mkstemp(prefix=".tmp-quantize-", dir=blobs.root)
    except OSError as exc:
        raise StoreWriteError("open", blobs.root / ".tmp-quantize-*", exc) from exc
    os.close(fd)
    return Path(name)


def _check(path: Path) -> None:
    """The child said it succeeded; the file must still be a GGUF pollama can load."""
    problem = metadata.written_file_problem(path)
    if problem:
        raise QuantizeFailed(f"failed to quantize model: {problem}")
