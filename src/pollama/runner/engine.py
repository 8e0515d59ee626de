"""The batch loop: continuous batching over `num_parallel` slots, in one thread.

Every step decodes ONE llama_batch holding the next token of every generating sequence plus
a bounded chunk of prompts being evaluated (chunked prefill), then samples one token per
sequence whose logits came out. New requests join at the next step; finished or cancelled
ones leave at once and free their slot; requests beyond the slots wait in FIFO order.

Only the engine thread touches the llama context. Other threads talk to it through
`submit` / `cancel` / `embed` / `stop`, and it answers through the `emit` callback with
protocol frames (a list per step).
"""

from __future__ import annotations

import queue
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

import llama_cpp as llama

from pollama.errors import PollamaError
from pollama.runner import context_window
from pollama.runner.batch import TokenBatch
from pollama.runner.embedding import Embedder
from pollama.runner.model import Model
from pollama.runner.request_options import RequestOptions
from pollama.runner.sampling import Sampler
from pollama.runner.sequence import Sequence
from pollama.runner.slots import Slot, choose_slot
from pollama.runner.types import GenerateParams, RunnerSpec

Frame = dict[str, Any]
Emit = Callable[[list[Frame]], None]
MAX_TOP_LOGPROBS = 20


def prefill_chunk_size(num_batch: int) -> int:
    """Prompt tokens per step while other sequences stream: a quarter batch, at least 32.

    Small enough that a long prompt delays the tokens in flight by a fraction of a second,
    large enough that prompt evaluation keeps most of its batched speed.
    """
    return max(32, num_batch // 4)


class Engine:
    def __init__(self, model: Model, spec: RunnerSpec, emit: Emit) -> None:
        self.model = model
        self.spec = spec
        self._emit = emit
        self.ctx = model.new_context(
            n_ctx=spec.num_ctx * spec.num_parallel,
            n_seq=spec.num_parallel,
            n_batch=spec.num_batch,
            embeddings=False,
        )
        self._memory = llama.llama_get_memory(self.ctx)
        self.can_shift = bool(llama.llama_memory_can_shift(self._memory))
        self._n_swa = int(llama.llama_model_n_swa(model.ptr))
        self.slots = [Slot(seq_id=i) for i in range(spec.num_parallel)]
        self._batch = TokenBatch(spec.num_batch)
        self._prefill_chunk = prefill_chunk_size(spec.num_batch)
        self._embedder = Embedder(model, spec.num_ctx)
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.waiting: deque[Sequence] = deque()
        self.active: list[Sequence] = []
        self._frames: list[Frame] = []
        self._clock = 0  # orders slot use for least-recently-used choice
        self._running = True

    # ---- called from other threads ---------------------------------------------------

    def prepare(self, request_id: int, params: GenerateParams) -> Sequence:
        """Tokenize and validate a request (raises PollamaError); cheap, any thread."""
        options = RequestOptions.from_dict(params.options)
        num_ctx = self.spec.num_ctx
        if isinstance(params.prompt, str):
            tokens = self.model.tokenize(params.prompt, add_special=True)
        else:
            tokens = [int(t) for t in params.prompt]
            self.model.check_tokens(tokens)
        if not tokens:
            raise PollamaError("the prompt is empty", 400)
        has_bos = self.model.adds_bos
        tokens = context_window.fit_prompt(
            tokens, num_ctx, options.num_keep, has_bos, params.shift and self.can_shift
        )
        sampler = Sampler(self.model, options, params.grammar, num_ctx)
        return Sequence(
            request_id=request_id,
            prompt=tokens,
            options=options,
            sampler=sampler,
            max_new_tokens=options.max_new_tokens(num_ctx),
            keep=context_window.keep_count(options.num_keep, len(tokens), has_bos, num_ctx),
            shift=params.shift,
            top_logprobs=min(params.top_logprobs, MAX_TOP_LOGPROBS) if params.logprobs else None,
        )

    def submit(self, sequence: Sequence) -> None:
        self._commands.put(("add", sequence))

    def cancel(self, request_id: int) -> None:
        self._commands.put(("cancel", request_id))

    def embed(self, request_id: int, texts: list[str]) -> None:
        self._commands.put(("embed", (request_id, texts)))

    def stop(self) -> None:
        self._commands.put(("stop", None))

    def counts(self) -> dict[str, int]:
        return {"active": len(self.active), "waiting": len(self.waiting)}

    # ---- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        while self._running:
            self._take_commands(block=not self.active and not self.waiting)
            if not self._running:
                break
            try:
                self._admit()
                if self.active:
                    self._step()
            except Exception as error:  # a bug must not take every future request down
                traceback.print_exc(file=sys.stderr)
                for sequence in list(self.active):
                    self._fail(sequence, f"runner error: {error}")
            self._flush_frames()
        self._shutdown()

    def _take_commands(self, block: bool) -> None:
        try:
            command = self._commands.get(block=block)
        except queue.Empty:
            return
        while True:
            self._handle(*command)
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "add":
            self.waiting.append(payload)
        elif kind == "cancel":
            self._cancel(payload)
        elif kind == "embed":
            self._embed(*payload)
        elif kind == "stop":
            self._running = False

    def _cancel(self, request_id: int) -> None:
        for sequence in list(self.waiting):
            if sequence.request_id == request_id:
                self.waiting.remove(sequence)
                sequence.sampler.free()
        for sequence in list(self.active):
            if sequence.request_id == request_id:
                self._release(sequence)

    def _embed(self, request_id: int, texts: list[str]) -> None:
        started = time.perf_counter_ns()
        try:
            vectors, counts = self._embedder.embed(texts)
        except PollamaError as error:
            self._frames.append(_error(request_id, error.message, error.status))
            return
        duration = time.perf_counter_ns() - started
        result = {"embeddings": vectors, "token_counts": counts, "duration": duration}
        self._frames.append({"id": request_id, "result": result})

    def _flush_frames(self) -> None:
        if self._frames:
            frames, self._frames = self._frames, []
            self._emit(frames)

    # ---- admission: slots and the prefix cache -------------------------------------------

    def _admit(self) -> None:
        while self.waiting:
            choice = choose_slot(self.slots, self.waiting[0].prompt)
            if choice is None:
                return
            sequence = self.waiting.popleft()
            slot, keep = choice
            import os
            keep = self._trim(slot, 0 if os.environ.get("NOCACHE") else keep)
            slot.busy = True
            self._clock += 1
            slot.last_used = self._clock
            sequence.slot = slot
            sequence.n_past = sequence.prompt_pos = sequence.cached = keep
            self.active.append(sequence)

    def _trim(self, slot: Slot, keep: int) -> int:
        """Drop the slot's KV past `keep` tokens; return how many really stay usable."""
        memory = self._memory
        if keep > 0 and not llama.llama_memory_seq_rm(memory, slot.seq_id, keep, -1):
            keep = 0
        # A sliding-window cache that is not full size forgets old positions: reuse is only
        # exact while the window before `keep` is still there.
        window_lost = (
            keep > 0
            and self._n_swa > 0
            and not self.spec.swa_full
            and llama.llama_memory_seq_pos_min(memory, slot.seq_id) > max(0, keep - self._n_swa)
        )
        if window_lost:
            keep = 0
        if keep == 0:
            llama.llama_memory_seq_rm(memory, slot.seq_id, -1, -1)
        del slot.tokens[keep:]
        return keep

    # ---- one step ----------------------------------------------------------------------

    def _step(self) -> None:
        batch = self._batch
        batch.clear()
        decoding = [s for s in self.active if s.prompt_done]
        for sequence in decoding:
            if sequence.n_past >= self.spec.num_ctx and not self._make_room(sequence):
                continue
            assert sequence.pending is not None and sequence.slot is not None
            sequence.batch_index = batch.add(
                sequence.pending, sequence.n_past, sequence.slot.seq_id, True
            )
        generating = [s for s in decoding if s in self.active]
        budget = min(batch.room, self._prefill_chunk) if generating else batch.room
        prefilling: list[tuple[Sequence, int]] = []
        for sequence in self.active:
            if sequence.prompt_done or budget <= 0:
                continue
            chunk = sequence.next_prompt_chunk(budget)
            budget -= len(chunk)
            completes = sequence.prompt_pos + len(chunk) == len(sequence.prompt)
            assert sequence.slot is not None
            sequence.mark_prompt_started()
            last = batch.add_many(chunk, sequence.n_past, sequence.slot.seq_id, completes)
            sequence.batch_index = last if completes else -1
            prefilling.append((sequence, len(chunk)))
        if batch.count == 0:
            return
        status = batch.decode(self.ctx)
        if status != 0:
            for sequence in generating + [s for s, _ in prefilling]:
                self._fail(sequence, f"llama_decode failed with status {status}")
            return
        for sequence in generating:
            assert sequence.slot is not None and sequence.pending is not None
            sequence.slot.tokens.append(sequence.pending)
            sequence.n_past += 1
            sequence.pending = None
        for sequence, size in prefilling:
            assert sequence.slot is not None
            sequence.slot.tokens.extend(sequence.next_prompt_chunk(size))
            sequence.n_past += size
            sequence.prompt_pos += size
        now = time.perf_counter_ns()
        for sequence, _ in prefilling:
            if sequence.prompt_done:
                sequence.prompt_finished = now
                if sequence.max_new_tokens == 0:
                    self._finish(sequence, "length")
                else:
                    self._sample(sequence)
        for sequence in generating:
            self._sample(sequence)
        for sequence in self.active:
            progress = sequence.progress_chunk()
            if progress is not None:
                self._frames.append({"id": sequence.request_id, "chunk": progress.to_wire()})

    def _sample(self, sequence: Sequence) -> None:
        index = sequence.batch_index
        token = sequence.sampler.sample(self.ctx, index)
        if sequence.top_logprobs is not None:
            logprob = sequence.sampler.logprob(self.ctx, index, token, sequence.top_logprobs)
            sequence.unsent_logprobs.append(logprob)
        sequence.generated.append(token)
        sequence.last_token_at = time.perf_counter_ns()
        if self.model.is_end_of_generation(token):
            sequence.eog_token = token
            self._finish(sequence, "stop")
        elif sequence.take_text(self.model.piece(token)):
            self._finish(sequence, "stop")
        elif len(sequence.generated) >= sequence.max_new_tokens:
            self._finish(sequence, "length")
        else:
            sequence.pending = token

    def _make_room(self, sequence: Sequence) -> bool:
        """The slot's context is full: shift it (Ollama's context shift) or end with length."""
        slot = sequence.slot
        assert slot is not None
        keep = min(sequence.keep, sequence.n_past - 1)
        discard = context_window.shift_discard(sequence.n_past, keep)
        if not (sequence.shift and self.can_shift) or discard <= 0:
            self._finish(sequence, "length")
            return False
        memory = self._memory
        llama.llama_memory_seq_rm(memory, slot.seq_id, keep, keep + discard)
        llama.llama_memory_seq_add(memory, slot.seq_id, keep + discard, sequence.n_past, -discard)
        del slot.tokens[keep : keep + discard]
        sequence.n_past -= discard
        sequence.shifted = True
        return True

    # ---- leaving -------------------------------------------------------------------------

    def _finish(self, sequence: Sequence, reason: str) -> None:
        sequence.flush_text()
        chunk = sequence.progress_chunk()
        if chunk is not None:
            self._frames.append({"id": sequence.request_id, "chunk": chunk.to_wire()})
        final = sequence.final_chunk(reason)
        self._frames.append({"id": sequence.request_id, "chunk": final.to_wire()})
        self._release(sequence)

    def _fail(self, sequence: Sequence, message: str) -> None:
        self._frames.append(_error(sequence.request_id, message, 500))
        if sequence.slot is not None:  # its KV is in an unknown state: forget it
            llama.llama_memory_seq_rm(self._memory, sequence.slot.seq_id, -1, -1)
            sequence.slot.tokens.clear()
        self._release(sequence)

    def _release(self, sequence: Sequence) -> None:
        if sequence in self.active:
            self.active.remove(sequence)
        sequence.sampler.free()
        slot = sequence.slot
        if slot is not None:
            if sequence.shifted:  # positions moved: not an exact cache any more
                slot.tokens.clear()
            slot.busy = False
            self._clock += 1
            slot.last_used = self._clock

    def _shutdown(self) -> None:
        for sequence in list(self.active) + list(self.waiting):
            sequence.sampler.free()
        self.active.clear()
        self.waiting.clear()
        self._embedder.close()
        self._batch.free()
        llama.llama_free(self.ctx)


def _error(request_id: int, message: str, status: int) -> Frame:
    return {"id": request_id, "error": {"message": message, "status": status}}
