"""Pooled embeddings on a second context (embeddings on, mean pooling), made on first use.

A separate context keeps generation's KV cache and logits untouched; it is created lazily
so a runner that never embeds never pays for it. Each input is one llama_decode of its own:
llama.cpp's numbers depend on what shares a batch, and a vector must not change with the
other inputs of the request (the cost is one pass over the weights per input).

A request is an `EmbedJob` that the engine advances a few inputs at a time between its
generation steps, so a long batch never starves generation and a cancel stops it midway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import llama_cpp as llama
import numpy as np

from pollama.errors import BadRequest, PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.model import Model
from pollama.runner.types import EmbedResult

INPUT_TOO_LONG = "the input length exceeds the context length"


@dataclass
class EmbedJob:
    """One embed request: its inputs, tokenized on its first step, and the vectors so far."""

    request_id: int
    texts: list[str]
    tokens: list[list[int]] | None = None
    vectors: list[list[float]] = field(default_factory=list)
    started: int = field(default_factory=time.perf_counter_ns)

    @property
    def done(self) -> bool:
        return self.tokens is not None and len(self.vectors) == len(self.tokens)

    def result(self) -> EmbedResult:
        counts = [len(tokens) for tokens in self.tokens or []]
        duration = time.perf_counter_ns() - self.started
        return EmbedResult(embeddings=self.vectors, token_counts=counts, duration=duration)


class Embedder:
    def __init__(self, model: Model, num_ctx: int) -> None:
        self._model = model
        self._num_ctx = num_ctx
        self._ctx: Any = None
        self._batch: TokenBatch | None = None

    def _ensure_context(self) -> tuple[Any, TokenBatch]:
        if self._ctx is None or self._batch is None:
            self._ctx = self._model.new_context(
                n_ctx=self._num_ctx, n_seq=1, n_batch=self._num_ctx, embeddings=True
            )
            self._batch = TokenBatch(self._num_ctx)
        return self._ctx, self._batch

    def advance(self, job: EmbedJob, budget: int, max_inputs: int) -> None:
        """Embed the job's next inputs: at least one, then more while under `budget` tokens
        and `max_inputs` inputs (each input is a pass over the weights, however short).
        Raises BadRequest when an input cannot fit the context."""
        if job.tokens is None:
            job.tokens = [self._model.tokenize(text, add_special=True) for text in job.texts]
            if any(len(tokens) > self._num_ctx for tokens in job.tokens):
                raise BadRequest(INPUT_TOO_LONG)
            return  # tokenizing a big batch is a step's work already
        spent = done = 0
        while not job.done and (done == 0 or (spent < budget and done < max_inputs)):
            tokens = job.tokens[len(job.vectors)]
            job.vectors.append(self._embed_one(tokens))
            spent += len(tokens)
            done += 1

    def _embed_one(self, tokens: list[int]) -> list[float]:
        if not tokens:  # nothing to pool: a zero vector
            return [0.0] * self._model.n_embd
        ctx, batch = self._ensure_context()
        batch.clear()
        batch.add_many(tokens, 0, 0, logits_last=True)
        try:
            status = batch.decode(ctx)
            if status != 0:
                raise PollamaError(f"embedding failed: llama_decode returned {status}")
            pointer = llama.llama_get_embeddings_seq(ctx, 0)
            if not pointer:
                raise PollamaError("embedding failed: no pooled output")
            vector = np.ctypeslib.as_array(pointer, shape=(self._model.n_embd,))
            return list(vector.astype(np.float64).tolist())
        finally:
            llama.llama_memory_clear(llama.llama_get_memory(ctx), True)

    def close(self) -> None:
        if self._batch is not None:
            self._batch.free()
        if self._ctx is not None:
            llama.llama_free(self._ctx)
        self._ctx = self._batch = None
