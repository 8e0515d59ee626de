"""A reusable `llama_batch`: tokens of many sequences, filled anew every step."""

from __future__ import annotations

import llama_cpp as llama


class TokenBatch:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._batch = llama.llama_batch_init(capacity, 0, 1)
        self.count = 0

    def clear(self) -> None:
        self.count = 0

    @property
    def room(self) -> int:
        return self.capacity - self.count

    def add(self, token: int, pos: int, seq_id: int, wants_logits: bool) -> int:
        """Append one token; return its index in the batch (where its logits will be)."""
        batch = self._batch
        i = self.count
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq_id
        batch.logits[i] = wants_logits
        self.count = i + 1
        return i

    def add_many(self, tokens: list[int], first_pos: int, seq_id: int, logits_last: bool) -> int:
        """Append a run of one sequence's tokens; return the index of the last one."""
        for offset, token in enumerate(tokens):
            self.add(token, first_pos + offset, seq_id, False)
        last = self.count - 1
        if logits_last:
            self._batch.logits[last] = True
        return last

    def decode(self, ctx: object) -> int:
        self._batch.n_tokens = self.count
        return int(llama.llama_decode(ctx, self._batch))

    def free(self) -> None:
        llama.llama_batch_free(self._batch)
