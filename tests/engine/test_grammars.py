"""The grammars pollama composes (schema, thinking prefix, forced tool call) are accepted by
llama.cpp's grammar parser and constrain the real model's output."""

from __future__ import annotations

import json

import pytest

from pollama.runner import GenerateParams, RunnerClient
from pollama.serving.formats import decode_format
from pollama.serving.grammar_rules import after_thinking
from pollama.serving.tool_choice import call_grammar
from tests.engine.harness import TURN, LoopThread, collect, text_of

pytestmark = pytest.mark.engine

SCHEMA = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}},
    "required": ["ok", "n"],
}
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {
            "type": "object",
            "properties": {"term": {"enum": ["cats", "dogs"]}},
            "required": ["term"],
        },
    },
}


def _run(
    runner: RunnerClient, loop_thread: LoopThread, prompt: str, grammar: str
) -> tuple[str, str]:
    params = GenerateParams(
        prompt=prompt,
        options={"temperature": 1.0, "seed": 5, "num_predict": 48},
        grammar=grammar,
    )
    chunks = loop_thread.run(collect(runner, params))
    return text_of(chunks), chunks[-1].done_reason


@pytest.mark.parametrize("inside", [False, True])
def test_thinking_then_schema(runner: RunnerClient, loop_thread: LoopThread, inside: bool) -> None:
    decoded = decode_format(SCHEMA)
    assert decoded is not None
    grammar = after_thinking(decoded.grammar, "<think>", "</think>", inside=inside)
    prompt = TURN.format("Think, then answer in JSON.") + ("<think>" if inside else "")
    text, reason = _run(runner, loop_thread, prompt, grammar)
    thinks = inside or text.startswith("<think>")
    if thinks and "</think>" not in text:
        assert reason == "length"  # still thinking when the budget ran out
        return
    answer = text.split("</think>", 1)[1] if thinks else text
    assert reason == "stop"
    assert set(json.loads(answer)) == {"ok", "n"}


def test_forced_tool_call(runner: RunnerClient, loop_thread: LoopThread) -> None:
    grammar = call_grammar([TOOL], ["lookup"], "<tool_call>")
    text, _ = _run(runner, loop_thread, TURN.format("Look up cats."), grammar)
    assert text.startswith("<tool_call>")
    call = json.loads(text.removeprefix("<tool_call>"))
    assert call["name"] == "lookup" and call["arguments"]["term"] in ("cats", "dogs")
