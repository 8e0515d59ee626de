"""Native chat chunks → the Responses API's named stream events.

`response.created` and `response.in_progress` open the stream. Each output item is announced
(`output_item.added`), filled by deltas, and closed (`output_item.done`): reasoning through
`reasoning_summary_*` events, the message through `content_part.*` and `output_text.*`, and each
function call, which arrives whole, through one `function_call_arguments.delta` and `.done`.
`response.completed` (or `response.incomplete`) carries the whole response; a failure midway
ends the stream with `error` then `response.failed`. Every event has a `sequence_number`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pollama.api.openai.errors import error_type
from pollama.api.openai.responses_output import (
    ResponseShell,
    final_status,
    function_call_item,
    message_item,
    new_id,
    output_text,
    reasoning_item,
    response_usage,
    token_logprobs,
)
from pollama.serving.chunks import NativeChunk


@dataclass
class _OpenItem:
    """The reasoning or message item that deltas are being added to."""

    kind: str  # "reasoning" or "message"
    id: str
    text: str = ""
    logprobs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ResponseStream:
    shell: ResponseShell
    _sequence: int = 0
    _started: bool = False
    _output: list[dict[str, Any]] = field(default_factory=list)  # closed items
    _open: _OpenItem | None = None
    _held: str = ""  # whitespace not yet shown: it opens a message only if text follows
    _held_logprobs: list[dict[str, Any]] = field(default_factory=list)
    _saw_message: bool = False
    _saw_calls: bool = False

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    @property
    def _index(self) -> int:
        return len(self._output)

    def translate(self, native: NativeChunk) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if not self._started:
            self._started = True
            opening = self.shell.object("in_progress", [])
            events.append(self._event("response.created", response=opening))
            events.append(self._event("response.in_progress", response=opening))
        if native.thinking:
            events += self._thinking(native.thinking)
        if native.content:
            events += self._content(native.content, token_logprobs(native.logprobs))
        for call in native.tool_calls:
            events += self._call(call)
        if native.done:
            events += self._finish(native)
        return events

    def failure(self, status: int, message: str) -> list[dict[str, Any]]:
        error = {"code": error_type(status), "message": message}
        failed = self.shell.object("failed", self._output, error=error)
        return [
            self._event("error", code=error["code"], message=message, param=None),
            self._event("response.failed", response=failed),
        ]

    def _switch_to(self, kind: str) -> list[dict[str, Any]]:
        """Close the open item unless it is of `kind`; then open one of `kind` if none is."""
        events: list[dict[str, Any]] = []
        if self._open is not None and self._open.kind != kind:
            events += self._close()
        if self._open is not None:
            return events
        self._open = _OpenItem(kind, new_id("rs" if kind == "reasoning" else "msg"))
        if kind == "reasoning":
            item: dict[str, Any] = {"id": self._open.id, "type": "reasoning", "summary": []}
            part_added, slot = "reasoning_summary_part.added", {"summary_index": 0}
            part = {"type": "summary_text", "text": ""}
        else:
            self._saw_message = True
            item = {**message_item(self._open.id, "", status="in_progress"), "content": []}
            part_added, slot, part = "content_part.added", {"content_index": 0}, output_text("")
        return [
            *events,
            self._event("response.output_item.added", output_index=self._index, item=item),
            self._event(f"response.{part_added}", **self._where(), **slot, part=part),
        ]

    def _where(self) -> dict[str, Any]:
        assert self._open is not None
        return {"item_id": self._open.id, "output_index": self._index}

    def _thinking(self, text: str) -> list[dict[str, Any]]:
        return self._append("reasoning", text, [])

    def _content(self, text: str, logprobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not text.strip() and (self._open is None or self._open.kind != "message"):
            self._held += text
            self._held_logprobs += logprobs
            return []
        text, self._held = self._held + text, ""
        logprobs, self._held_logprobs = self._held_logprobs + logprobs, []
        return self._append("message", text, logprobs)

    def _append(self, kind: str, text: str, logprobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add `text` to the open item of `kind` (opened if need be) and say so in a delta."""
        events = self._switch_to(kind)
        assert self._open is not None
        self._open.text += text
        if kind == "reasoning":
            slot: dict[str, Any] = {"summary_index": 0}
            name = "reasoning_summary_text.delta"
        else:
            self._open.logprobs += logprobs
            name, slot = "output_text.delta", {"content_index": 0, "logprobs": logprobs}
        events.append(self._event(f"response.{name}", **self._where(), **slot, delta=text))
        return events

    def _call(self, call: dict[str, Any]) -> list[dict[str, Any]]:
        events = self._close()
        self._saw_calls = True
        item = function_call_item(call)
        where = {"item_id": item["id"], "output_index": self._index}
        arguments = item["arguments"]
        events += [
            self._event(
                "response.output_item.added",
                output_index=self._index,
                item={**item, "status": "in_progress", "arguments": ""},
            ),
            self._event("response.function_call_arguments.delta", **where, delta=arguments),
            self._event("response.function_call_arguments.done", **where, arguments=arguments),
            self._event("response.output_item.done", output_index=self._index, item=item),
        ]
        self._output.append(item)
        return events

    def _close(self) -> list[dict[str, Any]]:
        item = self._open
        if item is None:
            return []
        where = self._where()
        if item.kind == "reasoning":
            done = reasoning_item(item.id, item.text)
            text_done, slot, extra = "reasoning_summary_text", {"summary_index": 0}, {}
            part_done, part = "reasoning_summary_part.done", done["summary"][0]
        else:
            done = message_item(item.id, item.text, logprobs=item.logprobs)
            text_done, slot, extra = (
                "output_text",
                {"content_index": 0},
                {"logprobs": item.logprobs},
            )
            part_done, part = "content_part.done", done["content"][0]
        self._output.append(done)
        self._open = None
        return [
            self._event(f"response.{text_done}.done", **where, **slot, text=item.text, **extra),
            self._event(f"response.{part_done}", **where, **slot, part=part),
            self._event("response.output_item.done", output_index=where["output_index"], item=done),
        ]

    def _finish(self, native: NativeChunk) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if not self._saw_message and not self._saw_calls:
            # An answer that is only whitespace (or nothing) is still a message, as unstreamed.
            events += self._switch_to("message")
            if self._held:
                events += self._content("", [])  # releases what is held
        events += self._close()
        status, incomplete = final_status(native)
        response = self.shell.object(
            status, self._output, usage=response_usage(native), incomplete=incomplete
        )
        events.append(self._event(f"response.{status}", response=response))
        return events
