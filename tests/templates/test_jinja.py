"""Hugging Face chat templates (GGUF tokenizer.chat_template) rendered with jinja2."""

# ruff: noqa: E501 - templates and expected prompts read best unwrapped

from __future__ import annotations

import datetime

import pytest

from pollama.templates import TemplateError, render_jinja

# In the style of gemma's template: system folded into the first user turn, strict alternation.
TURNS = """{{ bos_token }}
{%- if messages and messages[0]['role'] == 'system' -%}
    {%- set preamble = messages[0]['content'] + '\\n\\n' -%}
    {%- set turns = messages[1:] -%}
{%- else -%}
    {%- set preamble = '' -%}
    {%- set turns = messages -%}
{%- endif -%}
{%- for message in turns -%}
    {%- if (message['role'] == 'user') != loop.index0 is even -%}
        {{ raise_exception('Roles must alternate user/assistant/user/...') }}
    {%- endif -%}
    {%- set speaker = 'model' if message['role'] == 'assistant' else message['role'] -%}
    <turn>{{ speaker }}
{{ (preamble if loop.first else '') + message['content'] | trim }}</turn>
{% endfor -%}
{%- if add_generation_prompt -%}
<turn>model
{% endif -%}"""

# In the style of chatml templates with tools.
CHATML_TOOLS = """{%- if tools %}
<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}

{% endif %}Tools:
{% for tool in tools %}{{ tool | tojson }}
{% endfor %}<|im_end|>
{% elif messages[0].role == 'system' %}
<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif %}
{%- for message in messages %}
{%- if message.role == 'system' %}{% continue %}{% endif %}
<|im_start|>{{ message.role }}
{% if message.tool_calls %}
{%- for call in message.tool_calls %}<tool_call>{"name": "{{ call.function.name }}", "arguments": {{ call.function.arguments | tojson }}}</tool_call>{% endfor %}
{%- else %}{{ message.content }}{% endif %}<|im_end|>
{% endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "  Hi there  "},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Bye"},
]


def test_turn_style_template() -> None:
    expected = (
        "<bos><turn>user\nBe brief.\n\nHi there</turn>\n"
        "<turn>model\nHello!</turn>\n"
        "<turn>user\nBye</turn>\n"
        "<turn>model\n"
    )
    assert render_jinja(TURNS, CONVERSATION, bos_token="<bos>") == expected


def test_without_generation_prompt() -> None:
    rendered = render_jinja(TURNS, CONVERSATION[1:3], add_generation_prompt=False)
    assert rendered == "<turn>user\nHi there</turn>\n<turn>model\nHello!</turn>\n"


def test_raise_exception_becomes_a_template_error() -> None:
    with pytest.raises(TemplateError) as caught:
        render_jinja(TURNS, [{"role": "assistant", "content": "first"}])
    assert caught.value.message == "Roles must alternate user/assistant/user/..."
    assert caught.value.status == 400


def test_chatml_with_tools_and_tool_calls() -> None:
    tool = {"type": "function", "function": {"name": "now", "description": "Time in é-land"}}
    messages = [
        {"role": "system", "content": "Sys"},
        {"role": "user", "content": "time?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "now", "arguments": {"tz": "UTC"}}}],
        },
    ]
    expected = (
        "<|im_start|>system\nSys\n\nTools:\n"
        '{"type": "function", "function": {"name": "now", "description": "Time in é-land"}}\n'
        "<|im_end|>\n"
        "<|im_start|>user\ntime?<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>{"name": "now", "arguments": {"tz": "UTC"}}</tool_call>'
        "<|im_end|>\n<|im_start|>assistant\n"
    )
    assert render_jinja(CHATML_TOOLS, messages, tools=[tool]) == expected


def test_chatml_without_tools() -> None:
    expected = (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n  Hi there  <|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nBye<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert render_jinja(CHATML_TOOLS, CONVERSATION) == expected


def test_eos_token_and_strftime_now() -> None:
    template = "{{ strftime_now('%Y-%m-%d') }}|{{ eos_token }}"
    assert render_jinja(template, [], eos_token="</s>") == (
        f"{datetime.date.today().isoformat()}|</s>"
    )


def test_syntax_error_is_a_bad_request() -> None:
    with pytest.raises(TemplateError) as caught:
        render_jinja("{% for m in messages %}", [])
    assert caught.value.status == 400
    assert caught.value.message.startswith("invalid chat template:")


def test_runtime_error_is_a_server_error() -> None:
    with pytest.raises(TemplateError) as caught:
        render_jinja("{{ messages[5]['content'] | trim }}", [])
    assert caught.value.status == 500


def test_sandbox_blocks_unsafe_attribute_access() -> None:
    with pytest.raises(TemplateError):
        render_jinja("{{ messages.__class__.__mro__[1].__subclasses__() }}", [])
