"""The scheduler's decisions as pure functions, so they are tested without processes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pollama.runner.types import RunnerSpec

# Load-time options: a change in any of them needs a new runner.
LOAD_OPTIONS = ("num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread")
DEFAULT_NUM_CTX = 4096
DEFAULT_NUM_BATCH = 512
# An automatic context is never shrunk below this to make a model fit (Ollama's old default);
# an explicit num_ctx may be smaller.
MIN_AUTO_CTX = 2048
CTX_STEP = 256  # llama.cpp allocates cells in multiples of 256, so smaller steps save nothing


def max_loaded(setting: int, gpu_count: int = 0) -> int:
    """`OLLAMA_MAX_LOADED_MODELS`, or 3 per GPU (3 on CPU) when 0."""
    return setting if setting > 0 else 3 * max(gpu_count, 1)


def context_length(requested: int | None, default: int, trained: int | None) -> int:
    """num_ctx: the request's, else the server default, clamped to the model's trained length."""
    wanted = requested if requested and requested > 0 else (default or DEFAULT_NUM_CTX)
    if trained and trained > 0:
        wanted = min(wanted, trained)
    return max(wanted, 4)


def oversized_context(requested: int | None, default: int, trained: int | None) -> int | None:
    """The num_ctx asked for when it exceeds the model's trained length (it is then clamped)."""
    wanted = requested if requested and requested > 0 else (default or DEFAULT_NUM_CTX)
    return wanted if trained and 0 < trained < wanted else None


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
    projector: Path | None = None,
    draft: Path | None = None,
    batch_invariant: bool = False,
) -> RunnerSpec:
    """The runner a request needs. Batch-invariant mode (server-wide) keeps llama.cpp's plain
    weight layout, whose results do not depend on the batch (repacked weights do)."""
    num_gpu = options.get("num_gpu")
    num_ctx = context_length(options.get("num_ctx"), default_ctx, trained_ctx)
    slots = max(num_parallel, 1)
    # A batch never holds more tokens than the whole KV cache: a larger num_batch would only
    # make llama.cpp allocate buffers for tokens that can never be there.
    num_batch = min(int(options.get("num_batch") or DEFAULT_NUM_BATCH), num_ctx * slots)
    return RunnerSpec(
        model_path=model_path,
        projector=projector,
        draft_model=draft,
        num_ctx=num_ctx,
        num_parallel=slots,
        num_batch=num_batch,
        num_thread=int(options.get("num_thread") or 0),
        num_gpu=-1 if num_gpu is None else int(num_gpu),
        kv_cache_type=kv_cache_type,
        flash_attention="auto" if flash_attention is None else ("on" if flash_attention else "off"),
        use_mmap=options.get("use_mmap") is not False,
        debug=debug,
        memory_limit=memory_limit,
        load_timeout=load_timeout if math.isfinite(load_timeout) and load_timeout > 0 else 1e9,
        batch_invariant=batch_invariant,
        repack_weights=not batch_invariant,
    )


def needs_reload(loaded: RunnerSpec, wanted: RunnerSpec, options: dict[str, Any]) -> bool:
    """A loaded runner serves a request unless a load-time option differs. `num_gpu` only counts
    when the request sets it explicitly (not -1), as Ollama. Another draft model is another
    runner."""
    files = (loaded.model_path, loaded.projector, loaded.draft_model)
    if files != (wanted.model_path, wanted.projector, wanted.draft_model):
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


def smallest_spec(spec: RunnerSpec, *, ctx_explicit: bool, parallel_explicit: bool) -> RunnerSpec:
    """The least a load may shrink to: explicit values stay, automatic ones go down to one slot
    and `MIN_AUTO_CTX` tokens (or the requested context, when already smaller)."""
    return replace(
        spec,
        num_parallel=spec.num_parallel if parallel_explicit else 1,
        num_ctx=spec.num_ctx if ctx_explicit else min(spec.num_ctx, MIN_AUTO_CTX),
    )


def fit_spec(
    spec: RunnerSpec,
    fits: Callable[[RunnerSpec], bool],
    *,
    ctx_explicit: bool,
    parallel_explicit: bool,
) -> RunnerSpec | None:
    """The spec to load: `spec` when it fits; else the most slots that fit at its context; else,
    with the fewest slots allowed, the largest context that fits. None when even the smallest
    spec does not fit. Only automatic values shrink; memory must grow with both."""
    if fits(spec):
        return spec
    least = smallest_spec(spec, ctx_explicit=ctx_explicit, parallel_explicit=parallel_explicit)
    for slots in range(spec.num_parallel - 1, least.num_parallel - 1, -1):
        fewer = replace(spec, num_parallel=slots)
        if fits(fewer):
            return fewer
    if least.num_ctx == spec.num_ctx:
        return None
    one_slot = replace(spec, num_parallel=least.num_parallel)
    # Candidates: the floor, then every multiple of CTX_STEP above it, below the asked context.
    steps = range(least.num_ctx // CTX_STEP + 1, -(-spec.num_ctx // CTX_STEP))
    candidates = [least.num_ctx, *(n * CTX_STEP for n in steps)]
    best: RunnerSpec | None = None
    low, high = 0, len(candidates) - 1
    while low <= high:  # the largest fitting candidate
        middle = (low + high) // 2
        candidate = replace(one_slot, num_ctx=candidates[middle])
        if fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def describe(spec: RunnerSpec) -> str:
    slots = "slot" if spec.num_parallel == 1 else "slots"
    return f"{spec.num_parallel} parallel {slots} of {spec.num_ctx} tokens"


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
