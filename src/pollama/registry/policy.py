"""How transfers are split, retried and paced: Ollama's numbers as defaults, smaller in tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pollama.registry.errors import is_transient

log = logging.getLogger(__name__)
T = TypeVar("T")

# Tries of a transfer's first request: a registry that cannot be reached at all should fail the
# pull or push in seconds, not after the whole backoff of `max_retries`.
QUICK_TRIES = 3


@dataclass(frozen=True)
class TransferPolicy:
    min_part_size: int = 100_000_000  # decimal MB, as Ollama
    max_part_size: int = 1_000_000_000
    target_parts: int = 16  # a blob is split into about this many parts...
    max_concurrent_parts: int = 16  # ...and this many are fetched at once
    stall_timeout: float = 30.0  # seconds without a byte before a part is restarted
    max_retries: int = 6  # failures in a row (without progress) before a part gives up
    backoff_base: float = 1.0  # sleep backoff_base * 2**n after the n-th failure in a row
    max_backoff: float = 30.0
    progress_interval: float = 0.06  # seconds between progress messages
    state_interval: float = 1.0  # seconds between saves of a part's progress
    upload_chunk_size: int = 100_000_000  # blobs up to this size are PUT in one request
    connect_timeout: float = 30.0

    def part_size(self, total: int) -> int:
        """total/16 clamped to [min, max] (Ollama's download and upload part size)."""
        return max(self.min_part_size, min(self.max_part_size, total // self.target_parts))

    def backoff(self, failures: int) -> float:
        return float(min(self.max_backoff, self.backoff_base * 2 ** max(0, failures - 1)))


async def retry(
    policy: TransferPolicy,
    what: str,
    operation: Callable[[], Awaitable[T]],
    tries: int | None = None,
) -> T:
    """Run `operation`, again after a backoff while it fails transiently (`tries` times at most,
    default max_retries)."""
    tries = policy.max_retries if tries is None else tries
    failures = 0
    while True:
        try:
            return await operation()
        except Exception as exc:
            failures += 1
            if not is_transient(exc) or failures >= tries:
                raise
            delay = policy.backoff(failures)
            log.info("%s: %r, retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
