"""The batch loop: continuous batching over `num_parallel` slots, in one thread.

Every step decodes the next token of every generating sequence (and its draft, when it
speculates: speculation.py) together with a share of the waiting prompts, shortest remaining
first (see step.py and prefill.py). New requests join at the next step; finished or
cancelled ones leave at once and free their slot; requests beyond the slots wait in FIFO
order. Embed requests are advanced a bounded number of inputs per step, after the generation
work (see embedding.py).

Default mode: as llama-server, one llama_decode per step mixes decode rows and prompt pieces,
repacked CPU weights are used, and any cached prefix is reused; a sequence's numbers may then
depend (in the last bits) on what shared its batch. Batch-invariant mode (RunnerSpec.
batch_invariant, POLLAMA_BATCH_INVARIANT=1) keeps outputs exact: each slot is its own KV
stream (`kv_unified` off), prompt chunks are aligned to `prefill_chunk` and evaluated one
sequence per llama_decode, generated tokens are one row per sequence, weights are not
repacked, and decode batches stay under the size where llama.cpp's kernels change (see
step.py). llama.cpp then computes the same numbers for a sequence whatever else runs beside
it, so batched output equals one-at-a-time output token for token, a prefix-cache hit equals
a cold run (see slots.py), and speculation changes no greedy token.

LoRA adapters: one runner serves every model over its base. Each request names its adapter
set; sequences that share a set decode in one batch, and a step with several sets decodes
one batch per set, with that set applied on the context before it (the cost of a mixed step:
one pass over the weights per set instead of one in all). See adapters.py.

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
from pollama.runner.adapters import LoraAdapters
from pollama.runner.batch import TokenBatch
from pollama.runner.embedding import Embedder, EmbedJob
from pollama.runner.model import Model
from pollama.runner.prefill import evaluate_piece
from pollama.runner.requests import new_sequence
from pollama.runner.sequence import PromptPiece, Sequence
from pollama.runner.slots import Slot, choose_slot
from pollama.runner.speculation import DRAFT_ROWS
from pollama.runner.step import run_step
from pollama.runner.types import GenerateParams, RunnerSpec
from pollama.runner.vision import Projector
from pollama.runner.wire import to_wire

Frame = dict[str, Any]
Emit = Callable[[list[Frame]], None]
EMBED_INPUTS = 16  # inputs per step at most, when nothing streams (bounds a cancel's wait)


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
            extra_outputs=DRAFT_ROWS,
        )
        if llama.llama_n_ctx_seq(self.ctx) < spec.num_ctx:
            raise PollamaError("llama.cpp gave each sequence less context than num_ctx")
        self.memory = llama.llama_get_memory(self.ctx)
        self.can_shift = bool(llama.llama_memory_can_shift(self.memory))
        self._n_swa = int(llama.llama_model_n_swa(model.ptr))
        self.slots = [Slot(seq_id=i) for i in range(spec.num_parallel)]
        self.kv_total = int(llama.llama_n_ctx(self.ctx))  # the cells all the slots share
        self.batch = TokenBatch(max(spec.num_batch, spec.num_parallel))
        self.chunk = spec.prefill_chunk_tokens
        self.invariant = spec.batch_invariant
        # Reuse cuts: aligned chunks when exact, any token otherwise.
        self._granularity = self.chunk if self.invariant else 1
        self._embedder = Embedder(model, spec.num_ctx)
        self.adapters = LoraAdapters(model)
        # The model's vision projector; one that does not load fails the runner's load.
        self.projector = Projector(model, spec.projector) if spec.projector else None
        self.draft_model: Any = None  # a DraftModel (draft_model.py), when the model has one
        if spec.draft_model is not None:
            from pollama.runner.draft_model import DraftModel  # loaded only when needed

            self.draft_model = DraftModel(spec.draft_model, spec, model)
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.waiting: deque[Sequence] = deque()
        self.active: list[Sequence] = []
        self.embedding: deque[EmbedJob] = deque()  # FIFO; the first one advances each step
        self.frames: list[Frame] = []
        self._clock = 0  # orders slot use for least-recently-used choice
        self._running = True

    # ---- called from other threads ---------------------------------------------------

    def prepare(self, request_id: int, params: GenerateParams) -> Sequence:
        """Tokenize and validate a request (raises PollamaError); cheap, any thread."""
        return new_sequence(
            self.model, self.spec, self.projector, request_id, params, can_shift=self.can_shift
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
        return {
            "active": len(self.active),
            "waiting": len(self.waiting),
            "embedding": len(self.embedding),
        }

    def kv_cells(self) -> dict[str, int]:
        """KV cache cells in use (the slots' tokens, cached prefixes included) and in all;
        read from another thread, so from the slots' bookkeeping, not the llama context."""
        return {"kv_used": sum(len(slot.tokens) for slot in self.slots), "kv_total": self.kv_total}

    # ---- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        while self._running:
            try:
                idle = not self.active and not self.waiting and not self.embedding
                self._take_commands(block=idle)
                if not self._running:
                    break
                self._admit()
                if self.active:
                    run_step(self)
                if self.embedding:
                    self._embed_step()
            except Exception as error:  # a bug must not take every future request down
                traceback.print_exc(file=sys.stderr)
                for sequence in list(self.active):
                    self.fail(sequence, f"runner error: {error}")
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
            self.embedding.append(EmbedJob(*payload))
        elif kind == "stop":
            self._running = False

    def _cancel(self, request_id: int) -> None:
        for sequence in list(self.waiting):
            if sequence.request_id == request_id:
                self.waiting.remove(sequence)
                sequence.free()
        for sequence in list(self.active):
            if sequence.request_id == request_id:
                self._release(sequence)
        for job in list(self.embedding):
            if job.request_id == request_id:
                self.embedding.remove(job)

    def _embed_step(self) -> None:
        """Advance the first embed job: one input per step while sequences stream (they get
        their next token between inputs), a batch's worth of tokens when nothing else runs."""
        job = self.embedding[0]
        try:
            if self.active:
                self._embedder.advance(job, budget=0, max_inputs=1)
            else:
                self._embedder.advance(job, budget=self.spec.num_batch, max_inputs=EMBED_INPUTS)
        except PollamaError as error:
            self.frames.append(_error(job.request_id, error.message, error.status))
        except Exception as error:
            self.frames.append(_error(job.request_id, f"embedding failed: {error}", 500))
        else:
            if not job.done:
                return
            self.frames.append({"id": job.request_id, "result": to_wire(job.result())})
        self.embedding.popleft()

    def _flush_frames(self) -> None:
        if self.frames:
            frames, self.frames = self.frames, []
            self._emit(frames)

    # ---- admission: slots and the prefix cache -------------------------------------------

    def _admit(self) -> None:
        while self.waiting:
            first = self.waiting[0]
            try:  # on first use; a refused adapter fails its request, not the runner
                self.adapters.load(first.adapters)
            except PollamaError as error:
                self.waiting.popleft()
                first.free()
                self.frames.append(_error(first.request_id, error.message, error.status))
                continue
            choice = choose_slot(
                self.slots, first.prompt, self._granularity, first.adapters, first.image_spans
            )
            if choice is None:
                return
            sequence = self.waiting.popleft()
            slot, keep = choice
            keep = self._trim(slot, keep)
            slot.adapters = sequence.adapters
            slot.busy = True
            self._clock += 1
            slot.last_used = self._clock
            sequence.slot = slot
            sequence.n_past = sequence.prompt_pos = sequence.cached = keep
            self.active.append(sequence)

    def _trim(self, slot: Slot, keep: int) -> int:
        """Drop the slot's KV past `keep` tokens; return how many really stay usable."""
        memory = self.memory
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
        slot.forget_after(keep)
        return keep

    # ---- one step ----------------------------------------------------------------------

    def apply_adapters(self, adapters: tuple[str, ...], sequences: list[Sequence]) -> bool:
        try:
            self.adapters.apply(self.ctx, adapters)
        except PollamaError as error:
            for sequence in sequences:
                self.fail(sequence, error.message)
            return False
        return True

    def decode_prompt_piece(self, sequence: Sequence, piece: PromptPiece) -> None:
        """Evaluate one aligned piece on its own (the batch-invariant mode)."""
        sequence.mark_prompt_started()
        if not self.apply_adapters(sequence.adapters, [sequence]):
            return
        try:
            last = evaluate_piece(
                self.ctx, self.batch, self.projector, sequence, piece,
                granularity=self.chunk, n_batch=self.spec.num_batch,
            )  # fmt: skip
        except PollamaError as error:
            self.fail(sequence, error.message, error.status)
            return
        if sequence.prompt_done:
            self.prompt_evaluated(sequence, last)

    def prompt_evaluated(self, sequence: Sequence, last_row: int) -> None:
        """The whole prompt is in the KV; its last token's logits are at `last_row`."""
        sequence.prompt_finished = time.perf_counter_ns()
        if sequence.max_new_tokens == 0:
            self._finish(sequence, "length")
        else:
            sequence.batch_index = last_row
            self.sample(sequence)

    def sample(self, sequence: Sequence) -> None:
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

    def make_room(self, sequence: Sequence) -> bool:
        """The slot's context is full: shift it (Ollama's context shift) or end with length."""
        slot = sequence.slot
        assert slot is not None
        keep = min(sequence.keep, sequence.n_past - 1)
        discard = context_window.shift_discard(sequence.n_past, keep)
        if not (sequence.shift and self.can_shift) or discard <= 0:
            self._finish(sequence, "length")
            return False
        memory = self.memory
        llama.llama_memory_seq_rm(memory, slot.seq_id, keep, keep + discard)
        llama.llama_memory_seq_add(memory, slot.seq_id, keep + discard, sequence.n_past, -discard)
        del slot.tokens[keep : keep + discard]
        slot.exact = min(slot.exact, keep)
        sequence.n_past -= discard
        sequence.shifted = True
        return True

    # ---- leaving -------------------------------------------------------------------------

    def _finish(self, sequence: Sequence, reason: str) -> None:
        sequence.flush_text()
        chunk = sequence.progress_chunk()
        if chunk is not None:
            self.frames.append({"id": sequence.request_id, "chunk": to_wire(chunk)})
        final = sequence.final_chunk(reason)
        self.frames.append({"id": sequence.request_id, "chunk": to_wire(final)})
        self._release(sequence)

    def fail(self, sequence: Sequence, message: str, status: int = 500) -> None:
        self.frames.append(_error(sequence.request_id, message, status))
        if sequence.slot is not None:  # its KV is in an unknown state: forget it
            llama.llama_memory_seq_rm(self.memory, sequence.slot.seq_id, -1, -1)
            sequence.slot.forget_after(0)
        self._release(sequence)

    def _release(self, sequence: Sequence) -> None:
        if sequence in self.active:
            self.active.remove(sequence)
        sequence.free()
        slot = sequence.slot
        if slot is not None:
            if sequence.shifted:  # positions moved: not an exact cache any more
                slot.forget_after(0)
            slot.busy = False
            self._clock += 1
            slot.last_used = self._clock

    def _shutdown(self) -> None:
        for sequence in list(self.active) + list(self.waiting):
            sequence.free()
        self.active.clear()
        self.waiting.clear()
        self.embedding.clear()
        self._embedder.close()
        self.batch.free()
        llama.llama_free(self.ctx)
        self.adapters.close()
        if self.projector is not None:
            self.projector.close()
        if self.draft_model is not None:
            self.draft_model.close()


def _error(request_id: int, message: str, status: int) -> Frame:
    return {"id": request_id, "error": {"message": message, "status": status}}
