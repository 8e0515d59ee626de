"""The scheduler's decisions as pure functions, so they are tested without processes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from pollama.runner.types import RunnerSpec

# Load-time options: a change in any of them needs a new runner (§10.1).
LOAD_OPTIONS = ("num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread")
DEFAULT_NUM_CTX = 4096
DEFAULT_NUM_BATCH = 512


def max_loaded(setting: int, gpu_count: int = 0) -> int:
    """`OLLAMA_MAX_LOADED_MODELS`, or 3 per GPU (3 on CPU) when 0."""
    return setting if setting > 0 else 3 * max(gpu_count, 1)


def context_length(requested: int | None, default: int, trained: int | None) -> int:
    """num_ctx: the request's, else the server default, clamped to the model's trained length."""
    wanted = requested if requested and requested > 0 else (default or DEFAULT_NUM_CTX)
    if trained and trained > 0:
        wanted = min(wanted, trained)
    return max(wanted, 4)


def runner_spec(
    model_path: Any,
    options: dict[str, Any],
    *,
    default_ctx: int,
    trained_ctx: int | None,
    num_parallel: int,
    kv_cache_type: str,
    flash_attention: bool | None,
    debug: bool = False,
    memory_limit: int | None = None,
    load_timeout: float = 300.0,
) -> RunnerSpec:
    num_gpu = options.get("num_gpu")
    return RunnerSpec(
        model_path=model_path,
        num_ctx=context_length(options.get("num_ctx"), default_ctx, trained_ctx),
        num_parallel=max(num_parallel, 1),
        num_batch=int(options.get("num_batch") or DEFAULT_NUM_BATCH),
        num_thread=int(options.get("num_thread") or 0),
        num_gpu=-1 if num_gpu is None else int(num_gpu),
        kv_cache_type=kv_cache_type,
        flash_attention="auto" if flash_attention is None else ("on" if flash_attention else "off"),
        use_mmap=options.get("use_mmap") is not False,
        debug=debug,
        memory_limit=memory_limit,
        load_timeout=load_timeout if math.isfinite(load_timeout) and load_timeout > 0 else 1e9,
    )


def needs_reload(loaded: RunnerSpec, wanted: RunnerSpec, options: dict[str, Any]) -> bool:
    """A loaded runner serves a request unless a load-time option differs. `num_gpu` only counts
    when the request sets it explicitly (not -1), as Ollama."""
    if loaded.model_path != wanted.model_path:
        return True
    if (loaded.num_ctx, loaded.num_batch, loaded.use_mmap) != (
        wanted.num_ctx,
        wanted.num_batch,
        wanted.use_mmap,
    ):
        return True
    if options.get("num_thread") and loaded.num_thread != wanted.num_thread:
        return True
    explicit_gpu = options.get("num_gpu")
    return explicit_gpu is not None and explicit_gpu != -1 and loaded.num_gpu != wanted.num_gpu


class Evictable(Protocol):
    @property
    def in_flight(self) -> int: ...

    @property
    def expires_at(self) -> float: ...


E = TypeVar("E", bound=Evictable)


def choose_eviction(loaded: Sequence[E]) -> E | None:
    """The idle runner that expires first; if none is idle, the one expiring first (it is then
    unloaded once its requests finish)."""
    if not loaded:
        return None
    ordered = sorted(loaded, key=lambda r: r.expires_at)
    idle = [r for r in ordered if r.in_flight == 0]
    return idle[0] if idle else ordered[0]
