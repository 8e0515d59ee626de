"""How a streamed answer appears: a spinner until the first token, thinking in grey between
`Thinking...` and `...done thinking.`, the answer word-wrapped, tool calls as Ollama words them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.control import Control
from rich.segment import ControlType
from rich.status import Status

from pollama.cli.wordwrap import WordWrapper

THINKING_STYLE = "color(245)"
THINKING_HEADER_STYLE = "bold color(245)"


class Spinner:
    """A transient spinner on stderr while waiting; shown only on a terminal."""

    def __init__(self, err: Console) -> None:
        self._status: Status | None = None
        if err.is_terminal:
            self._status = err.status("", spinner="dots")
            self._status.start()

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def wrap_width(out: Console, wordwrap: bool) -> int | None:
    """Wrap only on a terminal (Ollama asks the terminal for its width; a pipe has none)."""
    return out.size.width if wordwrap and out.is_terminal else None


def erase_back(out: Console, cells: int) -> None:
    """Move left over the last `cells` columns and clear to the end of the line."""
    out.control(Control.move(x=-cells), Control((ControlType.ERASE_IN_LINE, 0)))


def render_tool_call(call: Mapping[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = json.dumps(
        function.get("arguments") or {}, separators=(",", ":"), ensure_ascii=False
    )
    return (
        f"  Model called a non-existent function '{function.get('name', '')}()' "
        f"with arguments: {arguments}"
    )


class ResponseView:
    """Renders one response's chunks to `out` and keeps its text (`content`, `thinking`)."""

    def __init__(self, out: Console, err: Console, *, wordwrap: bool, hide_thinking: bool) -> None:
        self._out = out
        self._hide_thinking = hide_thinking
        self._spinner = Spinner(err)
        width = wrap_width(out, wordwrap)
        self._wrapper = WordWrapper(self._write, lambda cells: erase_back(out, cells), width)
        self._style: str | None = None
        self._thinking_open = False
        self._thinking_parts: list[str] = []
        self._content_parts: list[str] = []
        self.tool_calls: list[dict[str, Any]] = []

    @property
    def content(self) -> str:
        return "".join(self._content_parts)

    @property
    def thinking(self) -> str:
        return "".join(self._thinking_parts)

    def _write(self, text: str) -> None:
        self._out.out(text, style=self._style, end="", highlight=False)

    def feed(self, thinking: str, content: str, tool_calls: list[dict[str, Any]] | None) -> None:
        """One chunk: its thinking text, answer text and tool calls (any may be empty)."""
        if content or not self._hide_thinking:
            self._spinner.stop()
        if thinking:
            self._thinking_parts.append(thinking)
            if not self._hide_thinking:
                if not self._thinking_open:
                    self._out.out("Thinking...", style=THINKING_HEADER_STYLE, highlight=False)
                    self._thinking_open = True
                self._style = THINKING_STYLE
                self._wrapper.feed(thinking)
                self._style = None
        if self._thinking_open and (content or tool_calls):
            self._close_thinking()
        self._content_parts.append(content)
        for call in tool_calls or []:
            self.tool_calls.append(dict(call))
            self._spinner.stop()
            self._out.out(render_tool_call(call), highlight=False)
            self._wrapper.reset()
        self._wrapper.feed(content)

    def _close_thinking(self) -> None:
        if not self.thinking.endswith("\n"):
            self._out.out("")
        self._out.out("...done thinking.\n", style=THINKING_HEADER_STYLE, highlight=False)
        self._thinking_open = False
        self._wrapper.reset()

    def stop(self) -> None:
        """End of stream (or interrupted): the spinner must not outlive the response."""
        self._spinner.stop()


def print_wrapped(out: Console, text: str, *, wordwrap: bool) -> None:
    """Text already known in full (a replayed answer), wrapped as a streamed one would be."""
    wrapper = WordWrapper(
        lambda chunk: out.out(chunk, end="", highlight=False),
        lambda cells: erase_back(out, cells),
        wrap_width(out, wordwrap),
    )
    wrapper.feed(text)
