"""Prompt templates: Go `text/template` with Ollama's execution rules, and Jinja chat templates.

render(template, messages, tools=..., think=...)  the prompt Ollama would send for a chat
render_suffix(template, prompt, suffix)            fill-in-the-middle prompts
execute(template, data)                            raw Go template execution
parse / validate                                   parse (cached) / check a template
capabilities / thinking_tags / tool_call_tag       what Ollama infers from a template
render_jinja(chat_template, messages, ...)         a GGUF tokenizer.chat_template
"""

from pollama.templates.chat import render, render_suffix
from pollama.templates.errors import TemplateError
from pollama.templates.inference import capabilities, thinking_tags, tool_call_tag
from pollama.templates.jinja import render_jinja
from pollama.templates.template import DEFAULT_TEMPLATE, Template, execute, parse, validate

__all__ = [
    "DEFAULT_TEMPLATE",
    "Template",
    "TemplateError",
    "capabilities",
    "execute",
    "parse",
    "render",
    "render_jinja",
    "render_suffix",
    "thinking_tags",
    "tool_call_tag",
    "validate",
]
