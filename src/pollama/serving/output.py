"""Splitting a model's raw output into thinking, content and tool calls, chunk by chunk, for both
the streamed and the collected answer (Ollama's thinking/parser.go and tools/tools.go)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pollama import templates
from pollama.serving.grammar_rules import after_thinking
from pollama.serving.prompts import ChatTemplate
from pollama.serving.thinking_parser import ThinkingParser
from pollama.serving.toolcall_parser import ToolCallParser

JINJA_THINKING_TAGS = ("<think>", "</think>")


@dataclass
class Piece:
    """What one stretch of output amounts to once parsed."""

    thinking: str = ""
    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.thinking or self.content or self.tool_calls)


def thinking_tags(template: ChatTemplate) -> tuple[str, str] | None:
    if template.jinja:
        opening, closing = JINJA_THINKING_TAGS
        return (
            JINJA_THINKING_TAGS if opening in template.text and closing in template.text else None
        )
    return templates.thinking_tags(template.text)


def tool_call_tag(template: ChatTemplate) -> str:
    if template.jinja:
        return "<tool_call>" if "<tool_call>" in template.text else "{"
    return templates.tool_call_tag(template.text)


def tool_names(tools: list[dict[str, Any]] | None) -> list[str]:
    names = []
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


class OutputSplitter:
    """Thinking first (when on and the template shows its tags), then tool calls (when the
    request has tools) out of what remains; the rest is content."""

    def __init__(
        self,
        template: ChatTemplate,
        *,
        prompt: str,
        think: bool,
        tools: list[dict[str, Any]] | None,
    ) -> None:
        self._thinking: ThinkingParser | None = None
        tags = thinking_tags(template) if think else None
        if tags is not None:
            opening, closing = tags
            inside = prompt.rstrip().endswith(opening)
            self._thinking = ThinkingParser(opening, closing, inside=inside)
        names = tool_names(tools)
        self._tools = ToolCallParser(tool_call_tag(template), names) if names else None

    @property
    def active(self) -> bool:
        return self._thinking is not None or self._tools is not None

    def feed(self, text: str) -> Piece:
        thinking, content = self._thinking.feed(text) if self._thinking else ("", text)
        return self._split_tools(thinking, content, final=False)

    def finish(self) -> Piece:
        thinking, content = self._thinking.finish() if self._thinking else ("", "")
        return self._split_tools(thinking, content, final=True)

    def _split_tools(self, thinking: str, content: str, *, final: bool) -> Piece:
        if self._tools is None:
            return Piece(thinking, content)
        released, calls = self._tools.feed(content) if content else ("", [])
        if final:
            rest, more = self._tools.finish()
            released += rest
            calls = calls + more
        return Piece(thinking, released, calls)


def thinking_first(
    grammar: str | None, template: ChatTemplate, *, prompt: str, think: bool
) -> str | None:
    """A format/tool grammar for a thinking model: thinking stays free, the answer constrained."""
    tags = thinking_tags(template) if think and grammar else None
    if grammar is None or tags is None:
        return grammar
    opening, closing = tags
    return after_thinking(grammar, opening, closing, inside=prompt.rstrip().endswith(opening))
