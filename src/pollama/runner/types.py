"""The data exchanged between the server and a runner: small dataclasses, JSON-friendly.

`RunnerSpec` says what to load and how; `GenerateParams` is one generation request;
`GenerateChunk` is one piece of its stream; `EmbedResult` answers an embedding request.
Each has `to_wire()` / `from_wire()` so the protocol module can move it as a JSON object.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")
FLASH_ATTENTION_MODES = ("auto", "on", "off")


def default_thread_count() -> int:
    """Threads for decoding when none are asked for: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class RunnerSpec:
    """Everything fixed at load time: changing any of it means a new runner."""

    model_path: Path
    num_ctx: int = 4096  # context per slot (per parallel sequence)
    num_parallel: int = 1
    num_batch: int = 512
    prefill_chunk: int = 128  # prompt tokens per chunk, aligned; one chunk a step while streaming
    num_thread: int = 0  # 0 = every CPU this process may use
    num_gpu: int = -1  # layers to offload; -1 = all that fit, 0 = CPU only
    kv_cache_type: str = "f16"
    flash_attention: str = "auto"
    swa_full: bool = True  # full-size cache for sliding-window layers (exact prefix reuse)
    use_mmap: bool = True
    # llama.cpp's repacked CPU weights speed up prompt evaluation on some quantizations, but
    # their results then depend on how many rows share a batch: off keeps batched output
    # token-for-token identical to one request at a time.
    repack_weights: bool = False
    debug: bool = False  # let llama.cpp's own log through to the runner's stderr
    load_timeout: float = 300.0  # seconds without the runner becoming healthy
    memory_limit: int | None = None  # bytes; overrides the measured available memory
    python: str = sys.executable

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
    parsed, BOS added as the model asks) or token ids used as they are.
    """

    prompt: str | list[int]
    options: dict[str, Any] = field(default_factory=dict)
    grammar: str | None = None  # GBNF
    logprobs: bool = False
    top_logprobs: int = 0
    shift: bool = True  # context shift when full, and truncation of an over-long prompt

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> GenerateParams:
        return cls(
            prompt=data["prompt"],
            options=dict(data.get("options") or {}),
            grammar=data.get("grammar"),
            logprobs=bool(data.get("logprobs", False)),
            top_logprobs=int(data.get("top_logprobs", 0)),
            shift=bool(data.get("shift", True)),
        )


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

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> TokenLogprob:
        return cls(
            token=data["token"],
            logprob=data["logprob"],
            bytes=list(data["bytes"]),
            top_logprobs=[TopLogprob(**top) for top in data.get("top_logprobs", [])],
        )


@dataclass(frozen=True)
class GenerateChunk:
    """One piece of a generation stream; the last one has `done=True` and the metrics.

    Durations are nanoseconds. `prompt_eval_count` is the whole prompt (after any
    truncation); `cached_count` is the part of it that came from the prefix cache.
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

    def to_wire(self) -> dict[str, Any]:
        # Stream chunks are frequent: send only what is set.
        data: dict[str, Any] = {"text": self.text}
        if self.logprobs:
            data["logprobs"] = [asdict(lp) for lp in self.logprobs]
        if self.done:
            data.update(
                done=True,
                done_reason=self.done_reason,
                prompt_eval_count=self.prompt_eval_count,
                cached_count=self.cached_count,
                prompt_eval_duration=self.prompt_eval_duration,
                eval_count=self.eval_count,
                eval_duration=self.eval_duration,
                context=self.context,
            )
        return data

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> GenerateChunk:
        logprobs = data.get("logprobs")
        return cls(
            text=data.get("text", ""),
            done=bool(data.get("done", False)),
            done_reason=data.get("done_reason"),
            prompt_eval_count=data.get("prompt_eval_count", 0),
            cached_count=data.get("cached_count", 0),
            prompt_eval_duration=data.get("prompt_eval_duration", 0),
            eval_count=data.get("eval_count", 0),
            eval_duration=data.get("eval_duration", 0),
            context=data.get("context"),
            logprobs=[TokenLogprob.from_wire(lp) for lp in logprobs] if logprobs else None,
        )


@dataclass(frozen=True)
class EmbedResult:
    """Raw (not normalised) pooled vectors, one per input, and each input's token count."""

    embeddings: list[list[float]]
    token_counts: list[int]
    duration: int = 0  # nanoseconds spent in the runner

    @property
    def prompt_eval_count(self) -> int:
        return sum(self.token_counts)

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> EmbedResult:
        return cls(
            embeddings=data["embeddings"],
            token_counts=data["token_counts"],
            duration=data.get("duration", 0),
        )
