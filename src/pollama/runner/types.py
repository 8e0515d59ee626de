"""The data exchanged between the server and a runner: small dataclasses, JSON-friendly.

`RunnerSpec` says what to load and how; `GenerateParams` is one generation request;
`GenerateChunk` is one piece of its stream; `EmbedResult` answers an embedding request.
`pollama.runner.wire` moves each as a JSON object derived from its fields, so a new field
travels with no more code; `pollama.runner.args` makes the spec's command-line flags the
same way (each field's `help` metadata is its flag's help).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")
FLASH_ATTENTION_MODES = ("auto", "on", "off")

# Metadata of a RunnerSpec field that only the server's side uses: not a runner flag.
SERVER_SIDE = {"server_side": True}


def default_thread_count() -> int:
    """Threads for decoding when none are asked for: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class RunnerSpec:
    """Everything fixed at load time: changing any of it means a new runner."""

    model_path: Path = field(metadata={"help": "the GGUF file to load"})
    projector: Path | None = field(  # the model's projector layer: images become embeddings
        default=None, metadata={"help": "vision projector GGUF (mmproj) to load with the model"}
    )
    num_ctx: int = field(default=4096, metadata={"help": "context per slot (per sequence)"})
    num_parallel: int = field(default=1, metadata={"help": "slots: sequences decoded at once"})
    num_batch: int = field(default=512, metadata={"help": "tokens per decode step"})
    prefill_chunk: int = field(  # aligned; one chunk a step while other sequences stream
        default=128, metadata={"help": "prompt tokens per aligned prefill chunk"}
    )
    num_thread: int = field(default=0, metadata={"help": "0 = every CPU this process may use"})
    num_gpu: int = field(default=-1, metadata={"help": "layers to offload: -1 = all that fit"})
    kv_cache_type: str = field(
        default="f16", metadata={"help": "KV cache element type", "choices": KV_CACHE_TYPES}
    )
    flash_attention: str = field(
        default="auto", metadata={"help": "flash attention", "choices": FLASH_ATTENTION_MODES}
    )
    swa_full: bool = field(  # exact prefix reuse needs the sliding-window layers' whole cache
        default=True, metadata={"help": "full-size cache for sliding-window layers"}
    )
    use_mmap: bool = field(default=True, metadata={"help": "map the weights, do not read them"})
    # llama.cpp's repacked CPU weights speed up prompt evaluation on some quantizations, but
    # their results then depend on how many rows share a batch: off keeps batched output
    # token-for-token identical to one request at a time.
    repack_weights: bool = field(
        default=False, metadata={"help": "faster prompts, batch-dependent results"}
    )
    # POLLAMA_BATCH_INVARIANT: a request's output is identical token for token whatever runs
    # beside it and whether its prefix came from the cache (aligned prompt chunks, one sequence
    # per llama_decode, no repacked weights, no speculation). Off: llama-server's speed.
    batch_invariant: bool = field(
        default=False, metadata={"help": "reproducible outputs, whatever runs beside them"}
    )
    # A DRAFT model's GGUF for speculative decoding, loaded beside the target.
    draft_model: Path | None = field(default=None, metadata={"help": "draft model GGUF"})
    debug: bool = field(default=False, metadata={"help": "show llama.cpp's log on stderr"})
    load_timeout: float = field(default=300.0, metadata=SERVER_SIDE)  # seconds to get healthy
    # bytes; overrides the measured available memory
    memory_limit: int | None = field(default=None, metadata=SERVER_SIDE)
    python: str = field(default=sys.executable, metadata=SERVER_SIDE)

    def __post_init__(self) -> None:
        if self.kv_cache_type not in KV_CACHE_TYPES:
            raise ValueError(f"kv cache type must be one of {KV_CACHE_TYPES}")
        if self.flash_attention not in FLASH_ATTENTION_MODES:
            raise ValueError(f"flash attention must be one of {FLASH_ATTENTION_MODES}")
        if self.num_ctx < 4 or self.num_parallel < 1 or self.num_batch < 1:
            raise ValueError("num_ctx must be >= 4, num_parallel and num_batch >= 1")

    @property
    def prefill_chunk_tokens(self) -> int:
        return max(1, min(self.prefill_chunk, self.num_batch))

    @property
    def threads(self) -> int:
        return self.num_thread if self.num_thread > 0 else default_thread_count()


@dataclass(frozen=True)
class GenerateParams:
    """One generation request.

    `options` is the dict from `pollama.options.decode_options` (sampling keys only matter
    here; defaults are applied by the runner). `prompt` is text (tokenized with special tokens
    parsed, BOS added as the model asks) or token ids used as they are. `adapters` are the
    model's LoRA files: one runner serves every model over the same base (see adapters.py).
    """

    prompt: str | list[int]
    options: dict[str, Any] = field(default_factory=dict)
    grammar: str | None = None  # GBNF
    logprobs: bool = False
    top_logprobs: int = 0
    shift: bool = True  # context shift when full, and truncation of an over-long prompt
    # LoRA adapter files (the model's adapter layers) applied over the runner's base model
    adapters: tuple[str, ...] = ()
    # Images, base64 as the API sends them: `[img-N]` in a text prompt stands for images[N]
    images: list[str] = field(default_factory=list)
    # Speculative decoding: tokens drafted per step at most (by the runner's draft model, else
    # by prompt lookup); 0 = off.
    draft_num_predict: int = 0


@dataclass(frozen=True)
class TopLogprob:
    token: str
    logprob: float
    bytes: list[int]


@dataclass(frozen=True)
class TokenLogprob:
    """Log-probability of one generated token (under the model's raw distribution)."""

    token: str
    logprob: float
    bytes: list[int]
    top_logprobs: list[TopLogprob] = field(default_factory=list)


@dataclass(frozen=True)
class GenerateChunk:
    """One piece of a generation stream; the last one has `done=True` and the metrics.

    Durations are nanoseconds. `prompt_eval_count` is the whole prompt (after any
    truncation); `cached_count` is the part of it that came from the prefix cache.
    `eval_count` is the tokens generated so far, on every chunk (the server's metrics time
    each token by the chunk that brought it).
    `context` (final chunk only) is the prompt tokens followed by the generated tokens.
    """

    text: str = ""
    done: bool = False
    done_reason: str | None = None
    prompt_eval_count: int = 0
    cached_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0
    context: list[int] | None = None
    logprobs: list[TokenLogprob] | None = None
    draft_tokens: int = 0  # speculative decoding: tokens drafted (final chunk only)
    draft_accepted_tokens: int = 0  # of those, accepted by the model


@dataclass(frozen=True)
class EmbedResult:
    """Raw (not normalised) pooled vectors, one per input, and each input's token count."""

    embeddings: list[list[float]]
    token_counts: list[int]
    duration: int = 0  # nanoseconds spent in the runner

    @property
    def prompt_eval_count(self) -> int:
        return sum(self.token_counts)
