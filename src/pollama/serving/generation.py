"""A generation on a leased runner, shaped as `/api/generate` or `/api/chat` chunks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from pollama.go import time as timefmt
from pollama.runner.types import GenerateChunk, GenerateParams
from pollama.scheduler import Lease
from pollama.serving.output import OutputSplitter, Piece

Kind = Literal["generate", "chat"]
_METRICS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)


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

    def _chunk(self, piece: Piece) -> dict[str, Any]:
        head: dict[str, Any] = {"model": self.model, "created_at": timefmt.utc_now()}
        if self.kind == "generate":
            head["response"] = piece.content
            if piece.thinking:
                head["thinking"] = piece.thinking
        else:
            message: dict[str, Any] = {"role": "assistant", "content": piece.content}
            if piece.thinking:
                message["thinking"] = piece.thinking
            if piece.tool_calls:
                message["tool_calls"] = piece.tool_calls
            head["message"] = message
        head["done"] = False
        return head

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

    def _final(self, chunk: GenerateChunk) -> dict[str, Any]:
        out = self._chunk(Piece())
        out["done"] = True
        out["done_reason"] = chunk.done_reason or "stop"
        if self.return_context and chunk.context is not None:
            out["context"] = chunk.context
        metrics = {
            "total_duration": time.monotonic_ns() - self.started_ns,
            "load_duration": self.lease.load_duration_ns,
            "prompt_eval_count": chunk.prompt_eval_count,
            "prompt_eval_duration": chunk.prompt_eval_duration,
            "eval_count": chunk.eval_count,
            "eval_duration": chunk.eval_duration,
        }
        out.update({k: v for k, v in metrics.items() if v})
        if chunk.cached_count:
            out["prompt_cache_count"] = chunk.cached_count  # pollama's addition
        return out

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The response chunks; the lease is released however the stream ends."""
        try:
            stream = self.lease.runner.generate(self.params)
            try:
                async for chunk in stream:
                    piece = self._parse(chunk.text, final=chunk.done)
                    if piece or chunk.logprobs:
                        yield self._with_logprobs(self._chunk(piece), chunk)
                    if chunk.done:
                        yield self._final(chunk)
                        return
            finally:
                await stream.aclose()
        finally:
            await self.lease.release()

    @staticmethod
    def _with_logprobs(event: dict[str, Any], chunk: GenerateChunk) -> dict[str, Any]:
        if chunk.logprobs:
            event["logprobs"] = [
                {
                    "token": lp.token,
                    "logprob": lp.logprob,
                    "bytes": lp.bytes,
                    **(
                        {"top_logprobs": [vars(t) for t in lp.top_logprobs]}
                        if lp.top_logprobs
                        else {}
                    ),
                }
                for lp in chunk.logprobs
            ]
        return event


def collect(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed response (`stream: false`): the final chunk with all text
    concatenated."""
    if not events:
        return {}
    final = dict(events[-1])
    logprobs = [lp for e in events for lp in e.get("logprobs", [])]
    if "message" in final:
        messages = [e["message"] for e in events]
        merged: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(m.get("content", "") for m in messages),
        }
        thinking = "".join(m.get("thinking", "") for m in messages)
        if thinking:
            merged["thinking"] = thinking
        calls = [call for m in messages for call in m.get("tool_calls", [])]
        if calls:
            merged["tool_calls"] = calls
        final["message"] = merged
    else:
        final["response"] = "".join(e.get("response", "") for e in events)
        thinking = "".join(e.get("thinking", "") for e in events)
        if thinking:
            final["thinking"] = thinking
    if logprobs:
        final["logprobs"] = logprobs
    return final


def single_answer(kind: Kind, model: str, **fields: Any) -> dict[str, Any]:
    """A one-object answer with no text, done, plus `fields`."""
    out: dict[str, Any] = {"model": model, "created_at": timefmt.utc_now()}
    if kind == "generate":
        out["response"] = ""
    else:
        out["message"] = {"role": "assistant", "content": ""}
    out["done"] = True
    out.update(fields)
    return out


def load_only(kind: Kind, model: str, reason: Literal["load", "unload"]) -> dict[str, Any]:
    """The single answer to an empty prompt / empty messages: the model was loaded, or (with
    `keep_alive: 0`) unloaded."""
    return single_answer(kind, model, done_reason=reason)
