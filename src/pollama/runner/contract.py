"""What the server may ask of a loaded runner: the contract every runner honours.

`RunnerClient` (a real runner process behind a unix socket) and `ScriptedRunner` (scripted
chunks, whitespace tokens, no weights: the fake the in-process tests use) both satisfy it, and
the scheduler, the routes and the serving layer see nothing else, so mypy holds both to it.
Importing this module never imports `llama_cpp`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol

from pollama.runner.memory import MemoryEstimate
from pollama.runner.types import EmbedResult, GenerateChunk, GenerateParams, RunnerSpec


class Runner(Protocol):
    """One loaded model, as the server sees it."""

    spec: RunnerSpec
    memory: MemoryEstimate  # what the load was planned to use (reported by /api/ps)
    load_duration_ns: int  # how long the load took
    # Called once, on the event loop, when the runner exits without `close()` (a crash); the
    # scheduler sets it to count the crash.
    on_crash: Callable[[], None] | None

    @property
    def alive(self) -> bool:
        """False once the runner died or was closed: the scheduler then drops it."""
        ...

    def generate(self, params: GenerateParams) -> AsyncGenerator[GenerateChunk, None]:
        """Stream the chunks of one generation, the last one with `done`; closing the stream
        early (`aclose`, or cancelling the task that iterates it) cancels the generation in
        the runner. Failures are PollamaErrors, raised by the next step."""
        ...

    async def embed(self, texts: list[str]) -> EmbedResult:
        """Pooled vectors, one per text; cancelling the caller cancels the work."""
        ...

    async def tokenize(
        self, text: str, add_special: bool = True, images: list[str] | None = None
    ) -> list[int]:
        """Token ids of `text`; `add_special` adds the BOS the model wants (if any) and parses
        control tokens written in the text. With `images` (base64), each `[img-N]` tag is
        images[N]'s positions, as a generation evaluates it (negative ids stand for image
        positions), so the length is what the prompt takes; without a projector that is a
        400."""
        ...

    async def detokenize(self, tokens: list[int]) -> str:
        """The text of `tokens` (`tokenize`'s inverse, up to the tokenizer's spacing)."""
        ...

    async def health(self) -> dict[str, Any]:
        """The runner's state: at least `active` (sequences generating) and `waiting` request
        counts, `kv_used` (KV cache cells holding tokens, cached prefixes included) and
        `kv_total` (all the cells of its context)."""
        ...

    async def close(self) -> None:
        """End the runner; requests in flight fail. Safe to call twice."""
        ...


# How the scheduler starts a runner for a spec (the real one spawns a process).
RunnerFactory = Callable[[RunnerSpec], Awaitable[Runner]]
