"""A generation on a leased runner, as `/api/generate` or `/api/chat` chunks (`NativeChunk`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from pollama.go import time as timefmt
from pollama.runner.types import GenerateChunk, GenerateParams
from pollama.scheduler import Lease
from pollama.serving.chunks import Kind, Metrics, NativeChunk
from pollama.serving.output import OutputSplitter, Piece
from pollama.serving.usage import NO_USAGE, TokenClock, UsageObserver

__all__ = ["Generation", "Kind", "NativeChunk", "collect", "load_only", "single_answer"]


@dataclass
class Generation:
    """One generation. It owns its lease (handed over by the preparation) and releases it
    when its stream ends, fails or is closed."""

    kind: Kind
    model: str  # echoed verbatim
    params: GenerateParams
    lease: Lease
    started_ns: int  # time.monotonic_ns() when the request arrived
    return_context: bool = False
    splitter: OutputSplitter | None = None  # thinking / tool calls, when the request has them
    usage: UsageObserver = NO_USAGE  # told of its tokens and their timing (the metrics)

    def _chunk(self, piece: Piece) -> NativeChunk:
        return NativeChunk(
            self.kind,
            self.model,
            timefmt.utc_now(),
            content=piece.content,
            thinking=piece.thinking,
            tool_calls=piece.tool_calls if self.kind == "chat" else [],
        )

    def _parse(self, text: str, *, final: bool) -> Piece:
        if self.splitter is None or not self.splitter.active:
            return Piece(content=text)
        piece = self.splitter.feed(text) if text else Piece()
        if final:
            tail = self.splitter.finish()
            piece = Piece(
                piece.thinking + tail.thinking,
                piece.content + tail.content,
                piece.tool_calls + tail.tool_calls,
            )
        return piece

    def _final(self, chunk: GenerateChunk) -> NativeChunk:
        out = self._chunk(Piece())
        out.done = True
        out.done_reason = chunk.done_reason or "stop"
        if self.return_context and chunk.context is not None:
            out.context = chunk.context
        out.metrics = Metrics(
            total_duration=time.monotonic_ns() - self.started_ns,
            load_duration=self.lease.load_duration_ns,
            prompt_eval_count=chunk.prompt_eval_count,
            prompt_eval_duration=chunk.prompt_eval_duration,
            eval_count=chunk.eval_count,
            eval_duration=chunk.eval_duration,
        )
        out.prompt_cache_count = chunk.cached_count
        out.draft_count = chunk.draft_tokens
        out.draft_accepted_count = chunk.draft_accepted_tokens
        return out

    async def events(self) -> AsyncIterator[NativeChunk]:
        """The response chunks; the lease is released however the stream ends."""
        try:
            stream = self.lease.runner.generate(self.params)
            clock = TokenClock(self.lease.model.name, self.started_ns, self.usage)
            try:
                async for chunk in stream:
                    clock.chunk(chunk.eval_count, time.monotonic_ns())
                    piece = self._parse(chunk.text, final=chunk.done)
                    if piece or chunk.logprobs:
                        event = self._chunk(piece)
                        event.logprobs = list(chunk.logprobs or [])
                        yield event
                    if chunk.done:
                        self.usage.completed(
                            self.lease.model.name,
                            prompt=chunk.prompt_eval_count,
                            generated=chunk.eval_count,
                            cached=chunk.cached_count,
                        )
                        yield self._final(chunk)
                        return
            finally:
                await stream.aclose()
        finally:
            await self.lease.release()


def collect(events: list[NativeChunk]) -> NativeChunk | None:
    """The non-streamed response (`stream: false`): the final chunk with all text
    concatenated; None when there was no chunk at all."""
    if not events:
        return None
    return replace(
        events[-1],
        content="".join(e.content for e in events),
        thinking="".join(e.thinking for e in events),
        tool_calls=[call for e in events for call in e.tool_calls],
        logprobs=[lp for e in events for lp in e.logprobs],
        thinking_last=events[-1].kind == "generate",
    )


def single_answer(
    kind: Kind,
    model: str,
    *,
    done_reason: str | None = None,
    debug_info: dict[str, Any] | None = None,
) -> NativeChunk:
    """A one-object answer with no text, done."""
    return NativeChunk(
        kind, model, timefmt.utc_now(), done=True, done_reason=done_reason, debug_info=debug_info
    )


def load_only(kind: Kind, model: str, reason: Literal["load", "unload"]) -> NativeChunk:
    """The single answer to an empty prompt / empty messages: the model was loaded, or (with
    `keep_alive: 0`) unloaded."""
    return single_answer(kind, model, done_reason=reason)
