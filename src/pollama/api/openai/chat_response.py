"""Native chat chunks → OpenAI `chat.completion` / `chat.completion.chunk` objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pollama.api.openai.common import (
    SYSTEM_FINGERPRINT,
    chat_logprobs,
    completion_id,
    finish_reason,
    openai_tool_call,
    unix_now,
    usage,
)
from pollama.serving.chunks import NativeChunk


def chat_completion(native: NativeChunk, *, id: str, created: int) -> dict[str, Any]:
    """The non-streamed answer from the collected native answer."""
    calls = [openai_tool_call(c, i) for i, c in enumerate(native.tool_calls)]
    message: dict[str, Any] = {"role": "assistant", "content": native.content}
    if native.thinking:
        message["reasoning"] = native.thinking
    if calls:
        message["tool_calls"] = calls
    choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "finish_reason": finish_reason(native, tool_calls=bool(calls)),
    }
    if native.logprobs:
        choice["logprobs"] = chat_logprobs(native.logprobs)
    return {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": native.model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [choice],
        "usage": usage(native),
    }


@dataclass
class ChatStream:
    """Turns native chunks into stream chunks: the role on the first delta, thinking and content
    in separate deltas, complete tool calls, a finish chunk with an empty delta, then (when asked)
    a usage chunk."""

    model: str
    include_usage: bool = False
    id: str = field(default_factory=lambda: completion_id("chatcmpl"))
    created: int = field(default_factory=unix_now)
    _role_sent: bool = False
    _calls_seen: int = 0
    _final: NativeChunk | None = None

    def _chunk(self, delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
        }

    def _delta(self, fields: dict[str, Any]) -> dict[str, Any]:
        if self._role_sent:
            return fields
        self._role_sent = True
        return {"role": "assistant", **fields}

    def translate(self, native: NativeChunk) -> list[dict[str, Any]]:
        if native.done:
            self._final = native
            reason = finish_reason(native, tool_calls=self._calls_seen > 0)
            return [self._chunk({}, reason)]
        out: list[dict[str, Any]] = []
        if native.thinking:
            out.append(self._chunk(self._delta({"reasoning": native.thinking})))
        content = native.content
        calls = [
            openai_tool_call(call, self._calls_seen + i) for i, call in enumerate(native.tool_calls)
        ]
        self._calls_seen += len(calls)
        if content or calls or not out:
            fields: dict[str, Any] = {"content": content}
            if calls:
                fields["tool_calls"] = calls
            out.append(self._chunk(self._delta(fields)))
        if native.logprobs:
            out[-1]["choices"][0]["logprobs"] = chat_logprobs(native.logprobs)
        return out

    def tail(self) -> list[dict[str, Any]]:
        if not self.include_usage or self._final is None:
            return []
        chunk = self._chunk({})
        chunk["choices"] = []
        chunk["usage"] = usage(self._final)
        return [chunk]
