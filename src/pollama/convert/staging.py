"""The uploaded files of a Hugging Face directory laid out again under their own names.

`/api/create` receives `files` as name → blob digest; a conversion reads a directory. The
staging folder holds one symlink per file, named as the client named it, inside the blobs
directory (`.tmp-convert-…`, removed when done and by the next server start otherwise).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pollama.convert.errors import ConvertError
from pollama.store.blobs import BlobStore, parse_digest
from pollama.store.oserrors import StoreWriteError

SAFETENSORS_SUFFIX = ".safetensors"


def is_safetensors(files: dict[str, str]) -> bool:
    """Ollama's detectModelTypeFromFiles: any `.safetensors` name makes it a conversion."""
    return any(name.endswith(SAFETENSORS_SUFFIX) for name in files)


@contextmanager
def staged(blobs: BlobStore, files: dict[str, str]) -> Iterator[Path]:
    """A temporary directory where each name in `files` links to its blob."""
    blobs.ensure()
    try:
        root = Path(tempfile.mkdtemp(prefix=".tmp-convert-", dir=blobs.root))
    except OSError as exc:
        raise StoreWriteError("mkdir", blobs.root / ".tmp-convert-*", exc) from exc
    try:
        for name, digest in files.items():
            source = blobs.path(parse_digest(digest))
            if not source.is_file():
                raise ConvertError(
                    f'blob "{digest}" not found: upload it with POST /api/blobs/{digest}'
                )
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(source, target)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
