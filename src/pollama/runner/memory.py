"""Memory plan before loading: what a runner will need, what the machine has, and the verdict.

Pure functions (no llama.cpp) so the scheduler can reuse them. The estimate is

    weights   the GGUF's tensor bytes (mapped from the file, all touched once decoding runs)
  + KV cache  one stream per slot (the engine runs llama.cpp with kv_unified off), each of
              num_ctx cells rounded up to 256; per attention layer and cell
              (head_dim_k + head_dim_v) x n_head_kv x bytes/elem (f16 2, q8_0 34/32, q4_0
              18/32); sliding-window layers get the same cells with swa_full, else
              n_swa + num_batch rounded up to 256, as llama.cpp allocates them
  + compute   llama.cpp's graph buffer for one ubatch of num_batch tokens, fitted to the sizes
              it reports: per token 4 B x (3 n_ff + 2 n_embd + (n_head + 2 n_head_kv)
              head_dim) of activations plus f16 attention masks over one stream's cells (full
              and sliding-window layers); flash attention off adds ~3 B x n_head x cells of
              scores; plus the logits of one output per slot
  + overhead  the Python runtime and libraries of the runner process (measured: ~100 MiB)
  + projector a vision projector's weights and image compute buffer, when the spec names
              one (see projector_memory.py)
  + draft     a draft model's (speculative decoding) weights, KV cache and compute, the same
              estimate from its own GGUF header: its context holds as many streams of num_ctx
              cells as the model's

LoRA adapters are loaded by the runner on first use, over the one base it holds: each adds
its file's size (`adapter_bytes`), which `/api/ps` adds to the size of the model using it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pollama.errors import PollamaError
from pollama.gguf.metadata import GGUFError, derived_from_gguf
from pollama.runner.projector_memory import projector_bytes
from pollama.runner.types import RunnerSpec

MiB = 1024**2
GiB = 1024**3
RUNTIME_OVERHEAD = 100 * MiB
KV_BYTES_PER_ELEMENT = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
CELL_PADDING = 256

# Architectures whose sliding-window layers follow a fixed pattern in llama.cpp: a layer is
# sliding-window unless (index + 1) is a multiple of the period.
SWA_PERIODS = {"gemma2": 2, "gemma3": 6, "gemma3n": 5, "cohere2": 4, "gpt-oss": 2, "exaone4": 4}


class InsufficientMemory(PollamaError):
    """The model does not fit in the memory available; nothing was loaded."""

    status = 500


@dataclass(frozen=True)
class ModelShape:
    """The few facts about a model that decide its memory."""

    weights_bytes: int
    n_layer: int
    n_embd: int
    n_vocab: int
    n_ff: int
    n_head: int
    n_head_kv: tuple[int, ...]  # per layer
    head_dim_k: int
    head_dim_v: int
    sliding_window: int = 0
    swa_layers: tuple[bool, ...] = ()  # per layer; empty = none

    @classmethod
    def from_gguf_kv(cls, kv: dict[str, Any], weights_bytes: int) -> ModelShape:
        arch = str(kv.get("general.architecture", ""))

        def number(key: str, default: int = 0) -> int:
            value = kv.get(f"{arch}.{key}", default)
            if isinstance(value, list):  # some models give per-layer values
                return max((int(v) for v in value), default=default)
            return int(value)

        n_layer = number("block_count")
        n_embd = number("embedding_length")
        n_head = number("attention.head_count")
        head_kv_value = kv.get(f"{arch}.attention.head_count_kv", n_head)
        if isinstance(head_kv_value, list):
            n_head_kv = tuple(int(v) for v in head_kv_value)
        else:
            n_head_kv = (int(head_kv_value),) * n_layer
        head_dim = n_embd // n_head if n_head else 0
        window = number("attention.sliding_window")
        period = SWA_PERIODS.get(arch)
        swa_layers: tuple[bool, ...] = ()
        if window and period:
            swa_layers = tuple((il + 1) % period != 0 for il in range(n_layer))
        tokens = kv.get("tokenizer.ggml.tokens")
        return cls(
            weights_bytes=weights_bytes,
            n_layer=n_layer,
            n_embd=n_embd,
            n_vocab=len(tokens) if isinstance(tokens, list) else number("vocab_size"),
            n_ff=number("feed_forward_length"),
            n_head=n_head,
            n_head_kv=n_head_kv,
            head_dim_k=number("attention.key_length", head_dim),
            head_dim_v=number("attention.value_length", head_dim),
            sliding_window=window if swa_layers else 0,
            swa_layers=swa_layers,
        )


def read_model_shape(path: Path) -> ModelShape:
    """The shape of the GGUF at `path` (cached while the file is unchanged)."""
    return derived_from_gguf(path, ModelShape.from_gguf_kv)


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    compute: int
    overhead: int = RUNTIME_OVERHEAD
    projector: int = 0
    draft: int = 0

    @property
    def total(self) -> int:
        own = self.weights + self.kv_cache + self.compute + self.overhead
        return own + self.projector + self.draft


def _pad(n: int, to: int = CELL_PADDING) -> int:
    return -(-n // to) * to


def kv_cells(shape: ModelShape, num_ctx: int, num_batch: int, swa_full: bool) -> tuple[int, int]:
    """Cells of one slot's stream for (full layers, sliding-window layers)."""
    full = _pad(num_ctx)
    if not shape.sliding_window or swa_full:
        return full, full
    return full, min(full, _pad(shape.sliding_window + num_batch))


def estimate_memory(
    shape: ModelShape,
    *,
    num_ctx: int,
    num_parallel: int = 1,
    num_batch: int = 512,
    kv_cache_type: str = "f16",
    swa_full: bool = True,
    flash_attention: bool = True,
) -> MemoryEstimate:
    bytes_per_element = KV_BYTES_PER_ELEMENT[kv_cache_type]
    full_cells, swa_cells = kv_cells(shape, num_ctx, num_batch, swa_full)
    kv = 0.0
    for layer in range(shape.n_layer):
        is_swa = bool(shape.swa_layers) and shape.swa_layers[layer]
        cells = (swa_cells if is_swa else full_cells) * num_parallel
        head_kv = shape.n_head_kv[layer] if layer < len(shape.n_head_kv) else 0
        kv += cells * (shape.head_dim_k + shape.head_dim_v) * head_kv * bytes_per_element
    ubatch = min(num_batch, full_cells)
    head_dim = max(shape.head_dim_k, shape.head_dim_v)
    max_head_kv = max(shape.n_head_kv, default=0)
    activations = 4 * (
        3 * shape.n_ff + 2 * shape.n_embd + (shape.n_head + 2 * max_head_kv) * head_dim
    )
    masked_cells = full_cells + (swa_cells if shape.sliding_window else 0)
    per_token = activations + 2 * masked_cells
    if not flash_attention:
        per_token += 3 * shape.n_head * full_cells
    outputs = 4 * shape.n_vocab * num_parallel
    return MemoryEstimate(
        weights=shape.weights_bytes,
        kv_cache=int(kv),
        compute=int(ubatch * per_token + outputs),
    )


def adapter_bytes(paths: tuple[Path, ...] | list[Path]) -> int:
    """What LoRA adapters add over the base when the runner loads them: their files' sizes
    (tensors that the runner reads in whole; the header is a few KiB)."""
    total = 0
    for path in paths:
        try:
            total += Path(path).stat().st_size
        except OSError:
            pass
    return total


def read_meminfo(text: str | None = None) -> int:
    """MemAvailable from /proc/meminfo, in bytes (0 when it cannot be read)."""
    if text is None:
        try:
            text = Path("/proc/meminfo").read_text()
        except OSError:
            return 0
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def available_memory(limit: int | None = None) -> int:
    """Bytes a new runner may use: `limit` (`POLLAMA_MEMORY_LIMIT`) when set, else free RAM."""
    return limit if limit is not None else read_meminfo()


def human_bytes(n: int) -> str:
    """Ollama's format.HumanBytes2: one decimal, binary units."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _estimate_for(shape: ModelShape, spec: RunnerSpec) -> MemoryEstimate:
    return estimate_memory(
        shape,
        num_ctx=spec.num_ctx,
        num_parallel=spec.num_parallel,
        num_batch=spec.num_batch,
        kv_cache_type=spec.kv_cache_type,
        swa_full=spec.swa_full,
        flash_attention=spec.flash_attention != "off",
    )


def draft_bytes(spec: RunnerSpec) -> int:
    """Weights, KV cache and compute of the spec's draft model; 0 without one, or when its
    header does not read (the load then fails with the draft's own error)."""
    if spec.draft_model is None:
        return 0
    try:
        shape = read_model_shape(Path(spec.draft_model))
    except (OSError, GGUFError):
        return 0
    draft = _estimate_for(shape, spec)
    return draft.weights + draft.kv_cache + draft.compute  # the runner's process is shared


def plan_memory(spec: RunnerSpec) -> MemoryEstimate:
    """The memory a runner for `spec` will need (reads the GGUF headers)."""
    estimate = _estimate_for(read_model_shape(Path(spec.model_path)), spec)
    return replace(estimate, projector=projector_bytes(spec.projector), draft=draft_bytes(spec))


def check_fits(estimate: MemoryEstimate, limit: int | None) -> None:
    """The one fit check: raise `InsufficientMemory` (Ollama's wording, with the numbers) when
    `estimate` needs more than is available (`limit`, or the free RAM when None)."""
    available = available_memory(limit)
    if estimate.total > available:
        raise InsufficientMemory(
            f"model requires more system memory ({human_bytes(estimate.total)}) than is "
            f"available ({human_bytes(available)}): {estimate.total} bytes required, "
            f"{available} available"
        )


def memory_fits(spec: RunnerSpec) -> bool:
    """Whether a runner for `spec` fits now: the scheduler's question before it loads (it evicts
    idle runners until it does); `RunnerClient.start` asks `check_fits` once more, refusing."""
    try:
        check_fits(plan_memory(spec), spec.memory_limit)
    except InsufficientMemory:
        return False
    return True
