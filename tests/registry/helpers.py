"""Small stores with real models in them, and a way to drain a progress stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pollama.models.create import CreateInput, Creator
from pollama.registry import Registry, RegistryConfig, TransferPolicy
from pollama.store import Store
from tests.fixtures.synthetic_gguf import write_tiny_gguf

# Small parts so that even a small blob is fetched in several ranged parts.
SMALL_PARTS = TransferPolicy(
    min_part_size=1024,
    max_part_size=64 * 1024,
    backoff_base=0.01,
    progress_interval=0.01,
    state_interval=0.0,
    upload_chunk_size=16 * 1024,
    stall_timeout=5.0,
)


def new_store(root: Path) -> Store:
    store = Store(root / "models")
    store.ensure()
    return store


def create_model(
    store: Store, name: str, weights: Path | None = None, *, system: str = "hi"
) -> None:
    """A model made as `/api/create` makes it: a GGUF layer plus system and params layers."""
    if weights is None:
        weights = write_tiny_gguf(store.root.parent / "tiny.gguf")
    digest = store.blobs.import_file(weights)
    creator = Creator(store)
    plan = creator.prepare(
        CreateInput(
            model=name,
            files={weights.name: digest},
            system=system,
            parameters={"temperature": 0.5},
        )
    )
    events = list(creator.run(plan))
    assert events[-1] == {"status": "success"}


def registry_for(
    store: Store,
    *,
    home: Path | None = None,
    policy: TransferPolicy = SMALL_PARTS,
    config: dict[str, Any] | None = None,
    prune: bool = True,
) -> Registry:
    """A `Registry` on `store` whose config file (registries.json) holds `config`."""
    home = home or store.root.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (home / "registries.json").write_text(json.dumps(config))
    env = {"HOME": str(home)}
    return Registry(
        store, config=lambda: RegistryConfig.load(home, env), policy=policy, prune=prune
    )


async def _drain(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event async for event in events]


def run_all(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every event of a pull or push stream (an error raises)."""
    return asyncio.run(_drain(events))


def statuses(events: list[dict[str, Any]]) -> list[str]:
    """The statuses in order, consecutive repeats folded (progress ticks)."""
    out: list[str] = []
    for event in events:
        if not out or out[-1] != event["status"]:
            out.append(event["status"])
    return out
