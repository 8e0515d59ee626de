"""The exact bytes clients see from every inference route, pinned over the scripted runner.

Each answer is recorded raw (key order, omissions and all) and compared with
`native_shapes.json`, written from the code before native chunks became typed objects. Only
what varies between runs is masked: timestamps, wall-clock durations and random ids.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pollama.runner.scripted import ScriptedRunner
from pollama.runner.types import GenerateChunk, GenerateParams, TokenLogprob, TopLogprob
from tests.inprocess.conftest import InProcessServer

GOLDEN = Path(__file__).with_name("native_shapes.json")

# Thinking between <think> tags, tool calls after <tool_call>, as real templates reveal them.
TEMPLATE = (
    "{{- if .Tools }}<tools>{{ range .Tools }}{{ .Function.Name }}{{ end }}</tools>{{ end }}"
    "{{- range .Messages }}<{{ .Role }}>"
    "{{- if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}"
    "{{- if .ToolCalls }}<tool_call>{{ range .ToolCalls }}{{ json .Function }}{{ end }}"
    "</tool_call>{{ end }}</{{ .Role }}>{{ end -}}<assistant>"
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
THINK_AND_ANSWER = ("<think>", "Let me", " see", "</think>", "It is", " sunny", ".")
THINK_AND_CALL = (
    "<think>",
    "Weather",
    "</think>",
    '<tool_call>{"name": "get_weather", ',
    '"arguments": {"city": "Paris"}}</tool_call>',
)
MESSAGES = [{"role": "user", "content": "weather in Paris?"}]

_MASKS = [
    (re.compile(r'"created_at":"[^"]*"'), '"created_at":"T"'),
    (re.compile(r'"(total_duration|load_duration)":\d+'), r'"\1":1'),
    (re.compile(r'"(created|created_at|completed_at)":\d+'), r'"\1":1'),
    (re.compile(r':"(chatcmpl|cmpl|resp|msg|rs|call|fc|toolu)[-_][A-Za-z0-9]+"'), r':"\1_X"'),
]


def _mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _with_logprobs(original: Callable[..., AsyncGenerator[GenerateChunk, None]]) -> Any:
    """The scripted runner's generation, with a log-probability on every text piece (when
    asked for)."""

    async def generate(self: ScriptedRunner, params: GenerateParams) -> Any:
        async for chunk in original(self, params):
            if chunk.text and params.logprobs:
                top = [TopLogprob(chunk.text, -0.25, list(chunk.text.encode()))]
                logprob = TokenLogprob(chunk.text, -0.5, list(chunk.text.encode()))
                if params.top_logprobs:
                    logprob = replace(logprob, top_logprobs=top)
                chunk = replace(chunk, logprobs=[logprob])
            if chunk.done and params.logprobs:  # and a prefix-cache hit, to pin its count
                chunk = replace(chunk, cached_count=1)
            yield chunk

    return generate


@pytest.fixture
def server(inprocess: InProcessServer, monkeypatch: pytest.MonkeyPatch) -> InProcessServer:
    monkeypatch.setattr(ScriptedRunner, "generate", _with_logprobs(ScriptedRunner.generate))
    inprocess.create("thinker", template=TEMPLATE)
    return inprocess


def _raw(server: InProcessServer, path: str, body: dict[str, Any]) -> str:
    with server.client.stream("POST", path, json=body) as answer:
        return f"{answer.status_code} {answer.headers['content-type']}\n" + _mask(
            answer.read().decode()
        )


# name -> (reply, path, body)
CASES: dict[str, tuple[tuple[str, ...], str, dict[str, Any]]] = {
    "generate-stream": (("Hello", " world", "!"), "/api/generate", {"prompt": "hi"}),
    "generate-whole": (
        ("Hello", " world", "!"),
        "/api/generate",
        {"prompt": "hi", "stream": False},
    ),
    "generate-logprobs-stream": (
        ("Hello", " world"),
        "/api/generate",
        {"prompt": "hi", "logprobs": True, "top_logprobs": 1},
    ),
    "generate-logprobs-whole": (
        ("Hello", " world"),
        "/api/generate",
        {"prompt": "hi", "logprobs": True, "stream": False},
    ),
    "generate-context-whole": (
        ("Hello",),
        "/api/generate",
        {"prompt": "hi", "stream": False, "context": [1, 2]},
    ),
    "generate-raw-stream": (("a", "b"), "/api/generate", {"prompt": "hi", "raw": True}),
    "generate-thinking-stream": (
        THINK_AND_ANSWER,
        "/api/generate",
        {"prompt": "hi", "think": True},
    ),
    "generate-thinking-whole": (
        THINK_AND_ANSWER,
        "/api/generate",
        {"prompt": "hi", "think": True, "stream": False, "logprobs": True},
    ),
    "generate-length": (
        ("a", "b", "c"),
        "/api/generate",
        {"prompt": "hi", "options": {"num_predict": 2}},
    ),
    "generate-load": ((), "/api/generate", {}),
    "generate-unload": ((), "/api/generate", {"keep_alive": 0}),
    "generate-debug": ((), "/api/generate", {"prompt": "hi", "_debug_render_only": True}),
    "chat-stream": (("Hi", " there"), "/api/chat", {"messages": MESSAGES}),
    "chat-whole": (("Hi", " there"), "/api/chat", {"messages": MESSAGES, "stream": False}),
    "chat-thinking-stream": (
        THINK_AND_ANSWER,
        "/api/chat",
        {"messages": MESSAGES, "think": True, "logprobs": True, "top_logprobs": 2},
    ),
    "chat-thinking-whole": (
        THINK_AND_ANSWER,
        "/api/chat",
        {"messages": MESSAGES, "think": True, "stream": False, "logprobs": True},
    ),
    "chat-tools-stream": (
        THINK_AND_CALL,
        "/api/chat",
        {"messages": MESSAGES, "think": True, "tools": TOOLS},
    ),
    "chat-tools-whole": (
        THINK_AND_CALL,
        "/api/chat",
        {"messages": MESSAGES, "think": True, "tools": TOOLS, "stream": False},
    ),
    "chat-load": ((), "/api/chat", {"messages": []}),
    "chat-unload": ((), "/api/chat", {"messages": [], "keep_alive": 0}),
    "chat-debug": ((), "/api/chat", {"messages": MESSAGES, "_debug_render_only": True}),
    "openai-chat-stream": (
        THINK_AND_ANSWER,
        "/v1/chat/completions",
        {
            "messages": MESSAGES,
            "stream": True,
            "stream_options": {"include_usage": True},
            "reasoning_effort": "low",
            "logprobs": True,
            "top_logprobs": 1,
        },
    ),
    "openai-chat-whole": (
        THINK_AND_ANSWER,
        "/v1/chat/completions",
        {"messages": MESSAGES, "reasoning_effort": "low", "logprobs": True},
    ),
    "openai-chat-tools-stream": (
        THINK_AND_CALL,
        "/v1/chat/completions",
        {"messages": MESSAGES, "tools": TOOLS, "stream": True},
    ),
    "openai-chat-tools-whole": (
        THINK_AND_CALL,
        "/v1/chat/completions",
        {"messages": MESSAGES, "tools": TOOLS},
    ),
    "openai-completions-stream": (
        ("Hello", " world"),
        "/v1/completions",
        {"prompt": "hi", "stream": True, "logprobs": 1, "stream_options": {"include_usage": True}},
    ),
    "openai-completions-whole": (
        ("Hello", " world"),
        "/v1/completions",
        {"prompt": "hi", "logprobs": 1, "max_tokens": 1},
    ),
    "openai-responses-stream": (
        THINK_AND_ANSWER,
        "/v1/responses",
        {"input": "weather?", "stream": True, "reasoning": {"effort": "low"}},
    ),
    "openai-responses-whole": (
        THINK_AND_CALL,
        "/v1/responses",
        {
            "input": "weather?",
            "reasoning": {"effort": "low"},
            "tools": [{"type": "function", **TOOLS[0]["function"]}],
        },
    ),
    "openai-responses-length": (
        ("a", "b", "c"),
        "/v1/responses",
        {"input": "hi", "max_output_tokens": 2},
    ),
    "anthropic-stream": (
        THINK_AND_ANSWER,
        "/v1/messages",
        {
            "messages": MESSAGES,
            "max_tokens": 100,
            "stream": True,
            "thinking": {"type": "enabled", "budget_tokens": 10},
        },
    ),
    "anthropic-whole": (
        THINK_AND_CALL,
        "/v1/messages",
        {
            "messages": MESSAGES,
            "max_tokens": 100,
            "thinking": {"type": "enabled", "budget_tokens": 10},
            "tools": [{"name": "get_weather", "input_schema": TOOLS[0]["function"]["parameters"]}],
        },
    ),
    "anthropic-tools-stream": (
        THINK_AND_CALL,
        "/v1/messages",
        {
            "messages": MESSAGES,
            "max_tokens": 100,
            "stream": True,
            "tools": [{"name": "get_weather", "input_schema": TOOLS[0]["function"]["parameters"]}],
        },
    ),
    "anthropic-length": (("a", "b", "c"), "/v1/messages", {"messages": MESSAGES, "max_tokens": 2}),
}


# name -> (path, body), over an embedding model
EMBED_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "embed": ("/api/embed", {"input": ["one text", "two"]}),
    "embed-dimensions": ("/api/embed", {"input": "one text", "dimensions": 2}),
    "embed-nothing": ("/api/embed", {"input": []}),
    "embeddings-legacy": ("/api/embeddings", {"prompt": "one text"}),
    "openai-embeddings": ("/v1/embeddings", {"input": ["one text", "two"]}),
    "openai-embeddings-base64": (
        "/v1/embeddings",
        {"input": "one text", "encoding_format": "base64"},
    ),
}


def _record(server: InProcessServer) -> dict[str, str]:
    recorded = {}
    for name, (reply, path, body) in CASES.items():
        server.reply(*reply) if reply else server.reply("unused")
        recorded[name] = _raw(server, path, {"model": "thinker", **body})
    server.create("embedder", embedding=True)
    for name, (path, body) in EMBED_CASES.items():
        recorded[name] = _raw(server, path, {"model": "embedder", **body})
    return recorded


def test_every_answer_is_byte_for_byte_as_pinned(server: InProcessServer) -> None:
    recorded = _record(server)
    if os.environ.get("POLLAMA_WRITE_SHAPES"):  # re-pin on purpose: POLLAMA_WRITE_SHAPES=1
        GOLDEN.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    pinned = json.loads(GOLDEN.read_text())
    assert sorted(recorded) == sorted(pinned)
    for name in recorded:
        assert recorded[name] == pinned[name], name
