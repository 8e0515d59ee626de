"""`python -m tests.registry.pull_worker STORE MODEL`: one pull in a process of its own, with small
parts saved after every chunk, so a test can kill it half-way and pull again."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from pollama.registry import Registry, RegistryConfig, TransferPolicy
from pollama.store import Store

POLICY = TransferPolicy(
    min_part_size=64 * 1024,
    max_part_size=256 * 1024,
    max_concurrent_parts=4,
    state_interval=0.0,
    progress_interval=0.05,
    backoff_base=0.05,
)


async def pull(store: Path, model: str) -> None:
    registry = Registry(Store(store), config=RegistryConfig, policy=POLICY)
    async for event in registry.pull(model, insecure=True):
        print(event, flush=True)


if __name__ == "__main__":
    asyncio.run(pull(Path(sys.argv[1]), sys.argv[2]))
