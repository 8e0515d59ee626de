"""What Ollama reads off a template: capabilities, thinking tags and the tool-call tag."""

# ruff: noqa: E501 - templates and expected prompts read best unwrapped

from __future__ import annotations

import pytest

from pollama.templates import capabilities, thinking_tags, tool_call_tag
from tests.templates import samples


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (samples.CHATML, set()),
        (samples.LLAMA2_LEGACY, set()),
        (samples.LLAMA3_TOOLS, {"tools"}),
        (samples.MISTRAL_TOOLS, {"tools"}),
        (samples.TYPESCRIPT_TOOLS, {"tools"}),
        (samples.QWEN_THINKING, {"tools", "thinking"}),
        (samples.CODE_FIM, {"insert"}),
        ("{{ $.Tools }}{{ .Prompt }}", {"tools"}),
        ("{{ .tools }}", {"tools"}),  # the identifier set is lower-cased
        ('{{ define "x" }}{{ .Suffix }}{{ end }}{{ .Prompt }}', {"insert"}),
    ],
)
def test_capabilities(template: str, expected: set[str]) -> None:
    assert capabilities(template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (samples.QWEN_THINKING, ("<think>", "</think>")),
        (
            "{{ range .Messages }}{{ if .Thinking }}<thought>\n{{ .Thinking }}\n</thought>{{ end }}{{ end }}",
            ("<thought>", "</thought>"),
        ),
        # .Thinking must be inside a range over .Messages
        ("{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}", None),
        (
            "{{ range .Other }}{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ end }}",
            None,
        ),
        # the nearest list must start and end with text
        ("{{ range .Messages }}{{ if .Thinking }}{{ .Thinking }}</think>{{ end }}{{ end }}", None),
        ("{{ range .Messages }}{{ .Content }}{{ end }}", None),
        (samples.CHATML, None),
        # a range over $.Messages is a variable, which Ollama's heuristic does not follow
        (
            "{{ range $.Messages }}{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ end }}",
            None,
        ),
        (
            "{{ range $i, $m := .Messages }}<|turn|>{{ .Role }}{{ with .Thinking }}<reasoning> {{ . }} </reasoning>{{ end }}"
            "{{ if .Thinking }} <reasoning>{{ .Thinking }}</reasoning> {{ end }}{{ end }}",
            ("<reasoning>", "</reasoning>"),
        ),
    ],
)
def test_thinking_tags(template: str, expected: tuple[str, str] | None) -> None:
    assert thinking_tags(template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (samples.QWEN_THINKING, "<tool_call>"),
        (samples.LLAMA3_TOOLS, "{"),
        (samples.MISTRAL_TOOLS, "[TOOL_CALLS]["),  # the whole text node before the range
        (samples.CHATML, "{"),
        (
            "{{ range .Messages }}{{ if .ToolCalls }}<|python_tag|>{{ range .ToolCalls }}{}{{ end }}{{ end }}{{ end }}",
            "<|python_tag|>",
        ),
        (
            "{{ range .Messages }}{{ if .ToolCalls }}\n  [ {{ range .ToolCalls }}{}{{ end }}]{{ end }}{{ end }}",
            "[",
        ),
        # text after an action is never used
        ("{{ range .Messages }}{{ if .ToolCalls }}{{ .Content }}<tool>{{ end }}{{ end }}", "{"),
        # the first non-blank text, searched into nested ifs
        (
            "{{ range .Messages }}{{ if .ToolCalls }}  {{ if .Content }}<calls>{{ end }}{{ end }}{{ end }}",
            "<calls>",
        ),
        # a variable ($m.ToolCalls) does not count as the tool-call block
        ("{{ range $m := .Messages }}{{ if $m.ToolCalls }}<call>{{ end }}{{ end }}", "{"),
        ('{{ if .ToolCalls }}\r\n<tc>\r\n{"a": 1}{{ end }}', "<tc>"),
    ],
)
def test_tool_call_tag(template: str, expected: str) -> None:
    assert tool_call_tag(template) == expected
