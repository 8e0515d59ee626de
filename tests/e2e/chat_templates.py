"""Chat templates and tools the e2e tests create models with: gemma's turn markers around a
tool-call tag (`<tool_call>`, or bare JSON) and around `<think>` thinking."""

from __future__ import annotations

from typing import Any

import ollama

from tests.conftest import RunningServer


def derived_model(server: RunningServer, base: str, name: str, template: str) -> str:
    """`name` made from `base` with another template (the weights are shared, not copied)."""
    ollama.Client(host=server.url).create(model=name, from_=base, template=template)
    return f"{name}:latest"


WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "London", "Tokyo"]}},
            "required": ["city"],
        },
    },
}
# A tools template in the style of Qwen/Hermes: the call tag is `<tool_call>`.
TOOLS_TEMPLATE = """{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}<start_of_turn>user
{{ if and $.Tools $last }}You can call these tools:
{{ range $.Tools }}{{ . }}
{{ end }}Answer with <tool_call>{"name": ..., "arguments": ...}</tool_call>.
{{ end }}{{ .Content }}<end_of_turn>
{{ else if eq .Role "tool" }}<start_of_turn>user
Result of {{ .ToolName }}: {{ .Content }}<end_of_turn>
{{ else if eq .Role "assistant" }}<start_of_turn>model
{{ if .ToolCalls }}<tool_call>
{{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
{{ end }}</tool_call>{{ else }}{{ .Content }}{{ end }}<end_of_turn>
{{ end }}
{{- if and $last (ne .Role "assistant") }}<start_of_turn>model
{{ end }}
{{- end }}"""
# The same with bare JSON calls: the tag is inferred as `{`.
BARE_TOOLS_TEMPLATE = TOOLS_TEMPLATE.replace("<tool_call>\n{{ range", "{{ range").replace(
    "{{ end }}</tool_call>", "{{ end }}"
)

# A thinking template: `.Thinking` between tags inside the messages loop, from
# which the thinking tags are inferred (Ollama's thinking/template.go, InferTags). When thinking
# is on, the prompt ends with the opening tag, so the output starts inside thinking.
THINKING_TEMPLATE = """{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}<start_of_turn>user
{{ .Content }}<end_of_turn>
{{ else if eq .Role "assistant" }}<start_of_turn>model
{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}<end_of_turn>
{{ end }}
{{- if and $last (ne .Role "assistant") }}<start_of_turn>model
{{ if $.Think }}<think>{{ end }}
{{- end }}
{{- end }}"""
