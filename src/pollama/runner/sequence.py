"""One generation request inside the engine: its prompt, progress, text pipeline, timings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pollama.runner.request_options import RequestOptions
from pollama.runner.sampling import Sampler
from pollama.runner.slots import Slot
from pollama.runner.stops import StopMatcher
from pollama.runner.types import GenerateChunk, TokenLogprob
from pollama.runner.utf8 import Utf8Holder
from pollama.runner.vision import ImageChunk


@dataclass(frozen=True)
class PromptPiece:
    """The next part of a prompt to evaluate: positions [start, end), one image or text."""

    start: int
    end: int
    image: ImageChunk | None = None


@dataclass
class Sequence:
    """A request from admission to its final chunk.

    `prompt` is what will be evaluated (after truncation), one entry per position: images
    (`images`, by their first position) fill theirs with pseudo ids (see vision.py). Once a
    slot is assigned, `n_past` counts the tokens in its KV sequence; `pending` is the sampled
    token not yet decoded.
    """

    request_id: int
    prompt: list[int]
    options: RequestOptions
    sampler: Sampler
    max_new_tokens: int
    keep: int  # tokens a context shift never discards
    shift: bool
    top_logprobs: int | None  # None = no logprobs
    adapters: tuple[str, ...] = ()  # LoRA files applied while decoding it (see adapters.py)
    images: dict[int, ImageChunk] = field(default_factory=dict)
    draft_num_predict: int = 0  # speculative decoding: tokens drafted per step at most
    slot: Slot | None = None
    n_past: int = 0
    prompt_pos: int = 0  # prompt tokens in the KV so far (n_past drifts from it on a shift)
    cached: int = 0
    pending: int | None = None
    generated: list[int] = field(default_factory=list)
    eog_token: int | None = None  # the end-of-generation token that ended it, if any
    shifted: bool = False  # its KV was shifted: no longer an exact cache of its tokens
    batch_index: int = -1  # where this sequence's logits are in the current batch
    prompt_started: int = 0  # perf_counter_ns
    prompt_finished: int = 0
    last_token_at: int = 0
    stop_matcher: StopMatcher = field(init=False)
    utf8: Utf8Holder = field(default_factory=Utf8Holder)
    unsent_text: str = ""
    unsent_logprobs: list[TokenLogprob] = field(default_factory=list)
    drafter: Any = None  # its prompt-lookup drafter, when it drafts without a draft model
    draft_tokens: int = 0  # drafted tokens verified so far
    draft_accepted_tokens: int = 0  # of those, the ones the model sampled too
    draft_limit: int = 0  # how far it drafts now (0: draft_num_predict); see speculation.py
    draft_pause: int = 0  # steps left without drafting
    draft_failures: int = 0  # drafts rejected whole in a row

    def __post_init__(self) -> None:
        self.stop_matcher = StopMatcher(self.options.stop)

    @property
    def prompt_done(self) -> bool:
        return self.slot is not None and self.prompt_pos >= len(self.prompt)

    @property
    def image_spans(self) -> dict[int, int]:
        """Each image's first position -> its length in positions."""
        return {start: image.n_tokens for start, image in self.images.items()}

    @property
    def prompt_left(self) -> int:
        return len(self.prompt) - self.prompt_pos

    def next_prompt_piece(self, granularity: int, limit: int | None = None) -> PromptPiece:
        """A whole image, or text up to the next multiple of `granularity`, the next image or
        the prompt's end: the cuts depend only on the prompt, so a warm run evaluates the
        rest of it in the same pieces as a cold one (see slots.py). `limit` caps the text
        (the fast mode's pieces need not be aligned)."""
        start = self.prompt_pos
        image = self.images.get(start)
        if image is not None:
            return PromptPiece(start, start + image.n_tokens, image)
        end = min((start // granularity + 1) * granularity, len(self.prompt))
        if limit is not None:
            end = min(end, start + max(1, limit))
        end = min([end] + [s for s in self.images if s > start])
        return PromptPiece(start, end)

    def free(self) -> None:
        self.sampler.free()
        for image in self.images.values():
            image.free()

    def mark_prompt_started(self) -> None:
        if not self.prompt_started:
            self.prompt_started = time.perf_counter_ns()

    def take_text(self, piece: bytes) -> bool:
        """Add a generated token's bytes; return True when a stop string was completed."""
        text = self.utf8.feed(piece)
        self.unsent_text += self.stop_matcher.feed(text)
        return self.stop_matcher.stopped

    def flush_text(self) -> None:
        """The end: release what the UTF-8 holder and the stop matcher held back."""
        if not self.stop_matcher.stopped:
            self.unsent_text += self.stop_matcher.feed(self.utf8.flush())
            self.unsent_text += self.stop_matcher.flush()

    def progress_chunk(self) -> GenerateChunk | None:
        if not self.unsent_text and not self.unsent_logprobs:
            return None
        chunk = GenerateChunk(
            text=self.unsent_text,
            logprobs=self.unsent_logprobs or None,
            eval_count=len(self.generated),
        )
        self.unsent_text = ""
        self.unsent_logprobs = []
        return chunk

    def final_chunk(self, reason: str) -> GenerateChunk:
        now = time.perf_counter_ns()
        prompt_end = self.prompt_finished or now
        eval_end = self.last_token_at or prompt_end
        generated = self.generated[:-1] if self.eog_token is not None else self.generated
        context = [t for t in self.prompt if t >= 0] + generated  # images have no token ids
        return GenerateChunk(
            done=True,
            done_reason=reason,
            prompt_eval_count=len(self.prompt),
            cached_count=self.cached,
            prompt_eval_duration=max(0, prompt_end - (self.prompt_started or prompt_end)),
            eval_count=len(self.generated),
            eval_duration=max(0, eval_end - prompt_end),
            context=context,
            draft_tokens=self.draft_tokens,
            draft_accepted_tokens=self.draft_accepted_tokens,
        )
