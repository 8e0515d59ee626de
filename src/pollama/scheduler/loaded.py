"""One loaded runner and its bookkeeping: in-flight count, slots, keep-alive expiry, users.

A runner is one loaded base model: every model whose weights are that file (with the same
projector and draft model) shares it, also when the models add different LoRA adapters (the
runner applies each request's adapters; see `pollama.runner.adapters`). `users` records the
models served, one per adapter set, so `/api/ps` lists each adapter model with the base's
memory plus its adapters'.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama.runner.contract import Runner
from pollama.runner.types import RunnerSpec

# Runners are shared by every name whose base weights (and projector, and draft model) are the
# same files, whatever adapters.
RunnerKey = tuple[Path, Path | None, Path | None]
AdapterKey = tuple[Path, ...]


@dataclass(frozen=True)
class ModelRef:
    """What the scheduler knows of a stored model: enough to load it and to report it."""

    name: str  # shortest display name, shown by /api/ps
    digest: str  # manifest digest
    details: dict[str, Any]
    model_path: Path
    adapters: tuple[Path, ...] = ()
    projector: Path | None = None  # the vision projector layer, loaded with the model
    draft: Path | None = None  # the draft model layer (speculative decoding), loaded beside it
    trained_ctx: int | None = None
    embedding_only: bool = False

    @property
    def key(self) -> RunnerKey:
        return self.model_path, self.projector, self.draft

    @property
    def adapter_paths(self) -> tuple[str, ...]:
        """The adapters as a generation request names them."""
        return tuple(str(path) for path in self.adapters)


@dataclass
class LoadedRunner:
    model: ModelRef
    spec: RunnerSpec
    runner: Runner
    session_duration: float  # seconds; inf = forever, <= 0 = unload when idle
    load_duration_ns: int = 0
    in_flight: int = 0
    expires_at: float = math.inf  # unix seconds
    unloading: bool = False
    evicted: bool = False  # unloaded to make room for another load
    slots: asyncio.Semaphore = field(init=False)
    idle: asyncio.Event = field(init=False)
    timer: asyncio.TimerHandle | None = None
    # The spec asked for, before memory may have cut its slots or context; None = `spec`.
    requested: RunnerSpec | None = None
    # The models served, one per adapter set (the first name seen for a set stays).
    users: dict[AdapterKey, ModelRef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.spec.num_parallel)
        self.idle = asyncio.Event()
        self.idle.set()
        self.set_expiry()
        self.users.setdefault(self.model.adapters, self.model)

    @property
    def asked(self) -> RunnerSpec:
        """The spec requests are compared with for reloads."""
        return self.requested or self.spec

    def serve(self, model: ModelRef) -> None:
        """`model` (the base's, or an adapter model over it) uses this runner."""
        self.users.setdefault(model.adapters, model)

    def set_expiry(self) -> None:
        duration = self.session_duration
        self.expires_at = time.time() + duration if math.isfinite(duration) else math.inf

    def attach(self, keep_alive: float | None) -> None:
        """A request starts using this runner: the idle timer stops."""
        if keep_alive is not None:
            self.session_duration = keep_alive
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.in_flight += 1
        self.idle.clear()

    def detach(self) -> bool:
        """A request is done; returns True when the runner became idle."""
        self.in_flight -= 1
        if self.in_flight > 0:
            return False
        self.idle.set()
        return True
