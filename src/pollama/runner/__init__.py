"""The engine: one runner process per loaded model, and the server's client for it.

Server-side code imports only from here (never llama_cpp): `RunnerClient` and the data
types; `memory` holds the pure memory-planning functions the scheduler shares.
"""

from pollama.runner.client import RunnerClient
from pollama.runner.memory import InsufficientMemory, MemoryEstimate, plan_memory
from pollama.runner.types import (
    EmbedResult,
    GenerateChunk,
    GenerateParams,
    RunnerSpec,
    TokenLogprob,
    TopLogprob,
)

__all__ = [
    "EmbedResult",
    "GenerateChunk",
    "GenerateParams",
    "InsufficientMemory",
    "MemoryEstimate",
    "RunnerClient",
    "RunnerSpec",
    "TokenLogprob",
    "TopLogprob",
    "plan_memory",
]
