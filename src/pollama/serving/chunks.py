"""Ollama's `/api/generate` and `/api/chat` answers as typed objects, and their exact JSON.

`Generation` makes `NativeChunk`s, the translators read their attributes, and only the edge (the
NDJSON writer, or a single JSON answer) turns them into JSON with `to_json`: the keys and their
order are Ollama's (api/types.go, GenerateResponse and ChatResponse), and what is empty is left
out as Ollama's `omitempty` leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from pollama.runner.types import TokenLogprob

Kind = Literal["generate", "chat"]
ToolCall = dict[str, Any]  # Ollama's tool call: {"id", "function": {"index", "name", "arguments"}}


@dataclass(frozen=True)
class Metrics:
    """The final chunk's counts and durations (nanoseconds); a zero is not sent."""

    total_duration: int = 0
    load_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0

    def to_json(self) -> dict[str, int]:
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name))}


def logprob_json(logprob: TokenLogprob) -> dict[str, Any]:
    out: dict[str, Any] = {"token": logprob.token, "logprob": logprob.logprob}
    out["bytes"] = logprob.bytes
    if logprob.top_logprobs:
        out["top_logprobs"] = [
            {"token": t.token, "logprob": t.logprob, "bytes": t.bytes} for t in logprob.top_logprobs
        ]
    return out


@dataclass
class NativeChunk:
    """One chunk of a native answer (or the whole answer, collected). `kind` picks the shape:
    generate's `response`/`thinking` at the top, or chat's `message`."""

    kind: Kind
    model: str  # echoed verbatim
    created_at: str
    content: str = ""
    thinking: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)  # chat only
    done: bool = False
    done_reason: str | None = None
    context: list[int] | None = None  # generate's deprecated `context`, when asked for
    metrics: Metrics = field(default_factory=Metrics)
    prompt_cache_count: int = 0  # pollama's addition: prompt tokens taken from the cache
    # pollama's addition, speculative decoding: tokens drafted, and of those the model accepted
    # (sent only when something was drafted, so Ollama's clients see nothing new otherwise)
    draft_count: int = 0
    draft_accepted_count: int = 0
    logprobs: list[TokenLogprob] = field(default_factory=list)
    debug_info: dict[str, Any] | None = None  # `_debug_render_only`'s answer
    # A collected generate answer puts its thinking after everything else, as pollama always
    # has (the merged thinking was appended to the final chunk's fields).
    thinking_last: bool = False

    def message_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.thinking:
            message["thinking"] = self.thinking
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        return message

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "created_at": self.created_at}
        if self.kind == "generate":
            out["response"] = self.content
            if self.thinking and not self.thinking_last:
                out["thinking"] = self.thinking
        else:
            out["message"] = self.message_json()
        out["done"] = self.done
        if self.done_reason is not None:
            out["done_reason"] = self.done_reason
        if self.context is not None:
            out["context"] = self.context
        out.update(self.metrics.to_json())
        if self.prompt_cache_count:
            out["prompt_cache_count"] = self.prompt_cache_count
        if self.draft_count:
            out["draft_count"] = self.draft_count
            out["draft_accepted_count"] = self.draft_accepted_count
        if self.debug_info is not None:
            out["_debug_info"] = self.debug_info
        if self.kind == "generate" and self.thinking and self.thinking_last:
            out["thinking"] = self.thinking
        if self.logprobs:
            out["logprobs"] = [logprob_json(lp) for lp in self.logprobs]
        return out
