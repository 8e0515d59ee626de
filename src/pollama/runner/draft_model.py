"""A DRAFT model for speculative decoding: a small model over the same vocabulary, loaded in the
runner beside the target, that proposes the next few tokens greedily.

It keeps its own KV for every slot's sequence. Each call brings a sequence's cache to the
context it is given (what the two share stays, the rest is removed, the missing tokens are
decoded), then decodes its own argmax token by token. The target checks the proposals; whatever
it rejects is simply not in the next call's context, so the next call cuts it away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import llama_cpp as llama
import numpy as np

from pollama.errors import PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.model import Model
from pollama.runner.types import RunnerSpec
from pollama.runner.vocab_match import Vocabulary, vocabulary_mismatch

# llama.cpp's vocabulary types by their GGUF tokenizer.ggml.model names.
_VOCAB_KINDS = {1: "llama", 2: "gpt2", 3: "bert", 4: "t5", 5: "rwkv", 6: "plamo2"}


@dataclass
class _Job:
    """One sequence's drafting in a call: the tokens its cache lacks, then its proposals."""

    index: int  # in the call's requests
    seq_id: int
    pending: list[int]
    limit: int
    drafts: list[int]


class DraftModel:
    """The draft GGUF at `path`, checked against the target's vocabulary (a 400 when they
    differ), with one context of spec.num_parallel sequences of spec.num_ctx tokens."""

    def __init__(self, path: Path, spec: RunnerSpec, target: Model) -> None:
        self.spec = spec
        self.model = Model(replace(spec, model_path=Path(path)))
        self._ctx: Any = None
        # Room for one drafting step of every sequence, whatever num_batch is.
        batch_size = max(spec.num_batch, spec.num_parallel)
        try:
            problem = vocabulary_mismatch(
                read_vocabulary(self.model.vocab), read_vocabulary(target.vocab)
            )
            if problem:
                raise PollamaError(f"draft model {Path(path).name}: {problem}", 400)
            self._ctx = self.model.new_context(
                n_ctx=spec.num_ctx * spec.num_parallel,
                n_seq=spec.num_parallel,
                n_batch=batch_size,
                embeddings=False,
            )
            if llama.llama_n_ctx_seq(self._ctx) < spec.num_ctx:
                raise PollamaError("llama.cpp gave the draft model less context than num_ctx")
        except BaseException:
            self.close()
            raise
        self._memory = llama.llama_get_memory(self._ctx)
        self._n_swa = int(llama.llama_model_n_swa(self.model.ptr))
        self._batch = TokenBatch(batch_size)
        # Only ids both vocabularies have may be proposed (their sizes may differ a little).
        self._usable_ids = min(self.model.n_vocab, target.n_vocab)
        # The tokens whose KV each sequence holds, in position order.
        self._held: list[list[int]] = [[] for _ in range(spec.num_parallel)]

    def propose(self, seq_id: int, context: list[int], limit: int) -> list[int]:
        """Up to `limit` greedy tokens continuing `context` for the sequence `seq_id`; [] when
        the context holds a negative id (an image position) or fills num_ctx."""
        return self.propose_many([(seq_id, context, limit)])[0]

    def propose_many(self, requests: Sequence[tuple[int, list[int], int]]) -> list[list[int]]:
        """`propose` for several sequences (distinct seq_ids) at once: their missing tokens
        share decode batches and each drafting step is one decode for all of them."""
        if len({seq_id for seq_id, _, _ in requests}) != len(requests):
            raise ValueError("propose_many needs distinct sequence ids")
        jobs = [job for i, request in enumerate(requests) if (job := self._job(i, *request))]
        if jobs and not (self._catch_up(jobs) and self._draft(jobs)):
            for job in jobs:  # a failed decode leaves their caches unknown: start over
                self.forget(job.seq_id)
                job.drafts = []
        drafts: list[list[int]] = [[] for _ in requests]
        for job in jobs:
            drafts[job.index] = job.drafts
        return drafts

    def forget(self, seq_id: int) -> None:
        """Drop everything the draft model holds for the sequence."""
        llama.llama_memory_seq_rm(self._memory, seq_id, -1, -1)
        self._held[seq_id] = []

    def close(self) -> None:
        if getattr(self, "_batch", None) is not None:
            self._batch.free()
            self._batch = None  # type: ignore[assignment]
        if self._ctx is not None:
            llama.llama_free(self._ctx)
            self._ctx = None
        if self.model.ptr:
            llama.llama_model_free(self.model.ptr)
            self.model.ptr = None

    def _job(self, index: int, seq_id: int, context: list[int], limit: int) -> _Job | None:
        # The target needs room for the context and every draft: no drafting past num_ctx.
        limit = min(limit, self.spec.num_ctx - len(context))
        if limit <= 0 or not context:
            return None
        held = self._held[seq_id]
        # The last context token is decoded again when held: its logits give the first draft.
        keep = min(_common_prefix(held, context), len(context) - 1)
        missing = context[keep:]
        if min(missing) < 0 or max(missing) >= self.model.n_vocab:
            return None
        keep = self._trim(seq_id, keep)
        return _Job(index, seq_id, context[keep:], limit, [])

    def _trim(self, seq_id: int, keep: int) -> int:
        """Drop the sequence's KV past `keep` tokens; return how many really stay usable."""
        memory = self._memory
        if keep > 0 and not llama.llama_memory_seq_rm(memory, seq_id, keep, -1):
            keep = 0
        # A sliding-window cache that is not full size has forgotten positions before its
        # window: what is kept must not need them.
        window_lost = (
            keep > 0
            and self._n_swa > 0
            and not self.spec.swa_full
            and llama.llama_memory_seq_pos_min(memory, seq_id) > max(0, keep - self._n_swa)
        )
        if keep == 0 or window_lost:
            llama.llama_memory_seq_rm(memory, seq_id, -1, -1)
            keep = 0
        del self._held[seq_id][keep:]
        return keep

    def _catch_up(self, jobs: list[_Job]) -> bool:
        """Decode every job's missing tokens, in batches of num_batch; each job's first draft
        is the argmax after its last context token."""
        batch = self._batch
        batch.clear()
        waiting: list[tuple[_Job, int]] = []  # jobs whose last token is in the batch, its row
        for job in jobs:
            held = self._held[job.seq_id]
            done = 0
            while done < len(job.pending):
                piece = job.pending[done : done + batch.room]
                done += len(piece)
                last = done == len(job.pending)
                row = batch.add_many(piece, len(held), job.seq_id, logits_last=last)
                held.extend(piece)
                if last:
                    waiting.append((job, row))
                if batch.room == 0:
                    if not self._decode_and_pick(waiting):
                        return False
                    waiting = []
        return batch.count == 0 or self._decode_and_pick(waiting)

    def _draft(self, jobs: list[_Job]) -> bool:
        """Feed each job's latest proposal back until it has `limit` of them: one decode per
        step for all the jobs still drafting."""
        batch = self._batch
        while active := [job for job in jobs if self._wants_more(job)]:
            batch.clear()
            waiting = []
            for job in active:
                held = self._held[job.seq_id]
                waiting.append((job, batch.add(job.drafts[-1], len(held), job.seq_id, True)))
                held.append(job.drafts[-1])
            if not self._decode_and_pick(waiting):
                return False
        return True

    def _wants_more(self, job: _Job) -> bool:
        if not job.drafts or len(job.drafts) >= job.limit:
            return False
        # The target stops at an end of generation: drafting past one is wasted.
        return not self.model.is_end_of_generation(job.drafts[-1])

    def _decode_and_pick(self, waiting: list[tuple[_Job, int]]) -> bool:
        """Decode the batch; append the argmax at each waiting job's row to its drafts."""
        batch = self._batch
        failed = batch.decode(self._ctx) != 0
        batch.clear()
        if failed:
            return False
        for job, row in waiting:
            logits = np.ctypeslib.as_array(
                llama.llama_get_logits_ith(self._ctx, row), shape=(self.model.n_vocab,)
            )
            token = int(logits.argmax())
            if token < self._usable_ids:
                job.drafts.append(token)
            else:
                job.limit = len(job.drafts)  # an id the target lacks ends the proposals
        return True


def read_vocabulary(vocab: Any) -> Vocabulary:
    """The facts `vocabulary_mismatch` compares, of a loaded llama.cpp vocabulary."""
    kind = int(llama.llama_vocab_type(vocab))
    texts = [
        (llama.llama_vocab_get_text(vocab, token) or b"").decode("utf-8", "surrogateescape")
        for token in range(llama.llama_vocab_n_tokens(vocab))
    ]
    return Vocabulary(
        kind=_VOCAB_KINDS.get(kind, str(kind)),
        add_bos=bool(llama.llama_vocab_get_add_bos(vocab)),
        bos=int(llama.llama_vocab_bos(vocab)),
        add_eos=bool(llama.llama_vocab_get_add_eos(vocab)),
        eos=int(llama.llama_vocab_eos(vocab)),
        texts=texts,
    )


def _common_prefix(a: list[int], b: list[int]) -> int:
    """How many leading tokens `a` and `b` share (list comparisons run in C)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n - 1  # a[:lo] == b[:lo] and a[:hi + 1] != b[:hi + 1]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
