"""Pooled embeddings on a second context (embeddings on, mean pooling), made on first use.

A separate context keeps generation's KV cache and logits untouched; it is created lazily
so a runner that never embeds never pays for it. Inputs are packed into batches of up to
`num_ctx` tokens, one sequence each, and the cache is cleared after every batch.
"""

from __future__ import annotations

from typing import Any

import llama_cpp as llama
import numpy as np

from pollama.errors import BadRequest, PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.model import Model

INPUT_TOO_LONG = "the input length exceeds the context length"
MAX_SEQUENCES_PER_BATCH = 16


class Embedder:
    def __init__(self, model: Model, num_ctx: int) -> None:
        self._model = model
        self._num_ctx = num_ctx
        self._ctx: Any = None
        self._batch: TokenBatch | None = None

    def _ensure_context(self) -> tuple[Any, TokenBatch]:
        if self._ctx is None or self._batch is None:
            self._ctx = self._model.new_context(
                n_ctx=self._num_ctx,
                n_seq=MAX_SEQUENCES_PER_BATCH,
                n_batch=self._num_ctx,
                embeddings=True,
            )
            self._batch = TokenBatch(self._num_ctx)
        return self._ctx, self._batch

    def embed(self, texts: list[str]) -> tuple[list[list[float]], list[int]]:
        """Return one raw pooled vector per text and the token count of each."""
        token_lists = [self._model.tokenize(text, add_special=True) for text in texts]
        for tokens in token_lists:
            if len(tokens) > self._num_ctx:
                raise BadRequest(INPUT_TOO_LONG)
        vectors: list[list[float]] = [[] for _ in texts]
        for group in self._pack(token_lists):
            group_vectors = self._embed_group([token_lists[i] for i in group])
            for index, vector in zip(group, group_vectors, strict=True):
                vectors[index] = vector
        return vectors, [len(tokens) for tokens in token_lists]

    def _pack(self, token_lists: list[list[int]]) -> list[list[int]]:
        """Group input indexes so each group fits one batch (tokens and sequences)."""
        groups: list[list[int]] = []
        current: list[int] = []
        used = 0
        for index, tokens in enumerate(token_lists):
            size = max(len(tokens), 1)
            if current and (used + size > self._num_ctx or len(current) == MAX_SEQUENCES_PER_BATCH):
                groups.append(current)
                current, used = [], 0
            current.append(index)
            used += size
        if current:
            groups.append(current)
        return groups

    def _embed_group(self, token_lists: list[list[int]]) -> list[list[float]]:
        ctx, batch = self._ensure_context()
        batch.clear()
        for seq_id, tokens in enumerate(token_lists):
            if tokens:
                batch.add_many(tokens, 0, seq_id, logits_last=True)
        try:
            if batch.count:
                status = batch.decode(ctx)
                if status != 0:
                    raise PollamaError(f"embedding failed: llama_decode returned {status}")
            vectors = []
            for seq_id, tokens in enumerate(token_lists):
                if not tokens:  # nothing to pool: a zero vector, as llama-server gives
                    vectors.append([0.0] * self._model.n_embd)
                    continue
                pointer = llama.llama_get_embeddings_seq(ctx, seq_id)
                if not pointer:
                    raise PollamaError("embedding failed: no pooled output")
                vector = np.ctypeslib.as_array(pointer, shape=(self._model.n_embd,))
                vectors.append(vector.astype(np.float64).tolist())
            return vectors
        finally:
            llama.llama_memory_clear(llama.llama_get_memory(ctx), True)

    def close(self) -> None:
        if self._batch is not None:
            self._batch.free()
        if self._ctx is not None:
            llama.llama_free(self._ctx)
        self._ctx = self._batch = None
