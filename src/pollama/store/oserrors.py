"""A failed write to the store as Ollama reports it: `write <path>: no space left on device`.

Ollama answers a full disk (or any other failed write) with a 500 whose error is Go's OS error
text, `<op> <path>: <reason>`; clients and the CLI print that text. pollama does the same
(rather than a 507, which no Ollama client expects), so the user learns what failed and where.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from pollama.errors import PollamaError

# Go's wording where it differs from C's strerror (lower case either way).
_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
}


class StoreWriteError(PollamaError):
    """Writing to the model store failed (500): disk full, read-only, permissions."""

    def __init__(self, op: str, path: Path | str, exc: OSError) -> None:
        reason = _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
        super().__init__(f"{op} {os.fspath(path)}: {reason}")
        self.errno = exc.errno
