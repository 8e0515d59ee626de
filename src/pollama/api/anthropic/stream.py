"""Native chat chunks → Anthropic's named stream events.

`message_start` carries the empty message; each content block is opened
(`content_block_start`), filled (`content_block_delta`: `thinking_delta`, `text_delta`, or one
`input_json_delta` for a tool call, which arrives whole) and closed (`content_block_stop`);
`message_delta` carries the stop reason and the usage, and `message_stop` ends the stream. A
failure midway ends it with an `error` event, which the `anthropic` SDK raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pollama.api.anthropic.errors import error_body
from pollama.api.anthropic.output import (
    envelope,
    message_id,
    stop_reason,
    text_block,
    thinking_block,
    tool_use_block,
    usage,
)
from pollama.api.flat_tools import arguments_json
from pollama.serving.chunks import NativeChunk

_DELTAS = {"thinking": ("thinking_delta", "thinking"), "text": ("text_delta", "text")}


@dataclass
class MessageStream:
    model: str
    id: str = field(default_factory=message_id)
    _started: bool = False
    _blocks: int = 0  # blocks closed so far: the index of the next one
    _open: str | None = None  # "thinking" or "text"
    _held: str = ""  # whitespace not yet shown: it opens a text block only if text follows
    _calls: int = 0

    def translate(self, native: NativeChunk) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if not self._started:
            self._started = True
            events.append({"type": "message_start", "message": envelope(self.id, self.model, [])})
        if native.thinking:
            events += self._delta("thinking", native.thinking)
        content = native.content
        if content and not content.strip() and self._open != "text":
            self._held += content
        elif content:
            content, self._held = self._held + content, ""
            events += self._delta("text", content)
        for call in native.tool_calls:
            events += self._tool_use(call)
        if native.done:
            events += self._finish(native)
        return events

    def failure(self, status: int, message: str) -> list[dict[str, Any]]:
        return [error_body(status, message)]

    def _delta(self, kind: str, text: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if self._open != kind:
            events += self._close()
            self._open = kind
            block = thinking_block("") if kind == "thinking" else text_block("")
            events.append(self._start(block))
        delta_type, key = _DELTAS[kind]
        events.append(self._block_delta({"type": delta_type, key: text}))
        return events

    def _start(self, block: dict[str, Any]) -> dict[str, Any]:
        return {"type": "content_block_start", "index": self._blocks, "content_block": block}

    def _block_delta(self, delta: dict[str, Any]) -> dict[str, Any]:
        return {"type": "content_block_delta", "index": self._blocks, "delta": delta}

    def _close(self) -> list[dict[str, Any]]:
        if self._open is None:
            return []
        self._open = None
        self._blocks += 1
        return [{"type": "content_block_stop", "index": self._blocks - 1}]

    def _tool_use(self, call: dict[str, Any]) -> list[dict[str, Any]]:
        events = self._close()
        self._calls += 1
        block = tool_use_block(call, arguments={})
        arguments = arguments_json((call.get("function") or {}).get("arguments") or {})
        events.append(self._start(block))
        events.append(self._block_delta({"type": "input_json_delta", "partial_json": arguments}))
        self._open = "tool_use"
        return events + self._close()

    def _finish(self, native: NativeChunk) -> list[dict[str, Any]]:
        events = []
        if self._held and not self._calls:
            events += self._delta("text", self._held)
        events += self._close()
        delta = {
            "stop_reason": stop_reason(native, tool_calls=self._calls > 0),
            "stop_sequence": None,
        }
        events.append({"type": "message_delta", "delta": delta, "usage": usage(native)})
        events.append({"type": "message_stop"})
        return events
