"""Drive asyncio code from plain pytest tests: one event loop in a thread per module.

A module-scoped runner lives on that loop, so every test of the module shares one process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from pollama.runner import GenerateChunk, GenerateParams, RunnerClient

T = TypeVar("T")

# Gemma's chat template around one user turn.
TURN = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


async def collect(client: RunnerClient, params: GenerateParams) -> list[GenerateChunk]:
    """Every chunk of one generation, the final one last."""
    return [chunk async for chunk in client.generate(params)]


def text_of(chunks: list[GenerateChunk]) -> str:
    return "".join(chunk.text for chunk in chunks)


def greedy(prompt: str | list[int], num_predict: int = 16, **options: Any) -> GenerateParams:
    return GenerateParams(
        prompt=prompt, options={"temperature": 0, "num_predict": num_predict, **options}
    )
