"""Pooled embeddings on a second context (embeddings on, mean pooling), made on first use.

A separate context keeps generation's KV cache and logits untouched; it is created lazily
so a runner that never embeds never pays for it. Each input is one llama_decode of its own:
llama.cpp's numbers depend on what shares a batch, and a vector must not change with the
other inputs of the request (the cost is one pass over the weights per input).
"""

from __future__ import annotations

from typing import Any

import llama_cpp as llama
import numpy as np

from pollama.errors import BadRequest, PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.model import Model

INPUT_TOO_LONG = "the input length exceeds the context length"


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

    def embed(self, texts: list[str]) -> tuple[list[list[float]], list[int]]:
        """Return one raw pooled vector per text and the token count of each."""
        token_lists = [self._model.tokenize(text, add_special=True) for text in texts]
        if any(len(tokens) > self._num_ctx for tokens in token_lists):
            raise BadRequest(INPUT_TOO_LONG)
        return [self._embed_one(tokens) for tokens in token_lists], [len(t) for t in token_lists]

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
