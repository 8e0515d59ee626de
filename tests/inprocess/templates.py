"""Go templates for in-process tests that need more than `CHAT_TEMPLATE`: one that shows the
system prompt, the tools, thinking and tool calls, so the server infers the `thinking` and
`tools` capabilities (tags `<think>`/`</think>`, tool-call tag `<tool_call>`)."""

from __future__ import annotations

# System and Tools before the turns; `<nothink>` marks an explicit `think: false`.
RICH_TEMPLATE = (
    "{{- if .System }}<system>{{ .System }}</system>{{ end }}"
    "{{- if .Tools }}<tools>{{ range .Tools }}{{ .Function.Name }};{{ end }}</tools>{{ end }}"
    '{{- range .Messages }}{{ if ne .Role "system" }}<{{ .Role }}>'
    "{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}"
    '{{ if .ToolCalls }}<tool_call>{{ range .ToolCalls }}{"name": "{{ .Function.Name }}"}'
    "{{ end }}</tool_call>{{ end }}</{{ .Role }}>{{ end }}{{ end -}}"
    "<assistant>{{ if and .IsThinkSet (not .Think) }}<nothink>{{ end }}"
)

WEATHER_CALL = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
