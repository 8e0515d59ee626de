"""What the runner is asked, in process: templates with System, Messages, Tools and thinking,
raw prompts, context, refusals of what the model cannot do, truncation of old turns, and the
thinking and tool-call splitting of the output, streamed and whole."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inprocess.conftest import CHAT_TEMPLATE, InProcessServer
from tests.inprocess.templates import RICH_TEMPLATE, WEATHER_CALL, WEATHER_TOOL

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def rich(inprocess: InProcessServer) -> InProcessServer:
    """`inprocess` with `rich` too: RICH_TEMPLATE and a Modelfile SYSTEM."""
    inprocess.create("rich", template=RICH_TEMPLATE, system="be brief")
    return inprocess


def _prompt(server: InProcessServer) -> Any:
    return server.runner.requests[-1].prompt


def test_modelfile_system_and_request_system(rich: InProcessServer) -> None:
    rich.reply("ok")
    rich.post("/api/chat", model="rich", messages=HELLO, stream=False)
    assert _prompt(rich) == "<system>be brief</system><user>hello</user><assistant>"
    rich.post("/api/generate", model="rich", prompt="hi", system="override", stream=False)
    assert _prompt(rich) == "<system>override</system><user>hi</user><assistant>"
    own_system = [{"role": "system", "content": "mine"}, *HELLO]
    rich.post("/api/chat", model="rich", messages=own_system, stream=False)
    assert _prompt(rich) == "<system>mine</system><user>hello</user><assistant>"


def test_modelfile_messages_come_before_the_request(inprocess: InProcessServer) -> None:
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "yes"}]
    inprocess.create("primed", template=CHAT_TEMPLATE, messages=history)
    inprocess.post("/api/chat", model="primed", messages=HELLO, stream=False)
    assert _prompt(inprocess) == (
        "<user>earlier</user><assistant>yes</assistant><user>hello</user><assistant>"
    )


def test_raw_prompt_is_sent_as_is(rich: InProcessServer) -> None:
    answer = rich.post("/api/generate", model="rich", prompt="RAW text", raw=True, stream=False)
    assert answer.status_code == 200 and "context" not in answer.json()
    assert _prompt(rich) == "RAW text"


def test_context_tokens_are_prepended(inprocess: InProcessServer) -> None:
    inprocess.reply("ok")
    first = inprocess.post("/api/generate", model="tiny", prompt="hi", stream=False).json()
    assert first["context"][0] == 1  # BOS, then the prompt's words, then the reply's
    again = inprocess.post(
        "/api/generate", model="tiny", prompt="again", context=first["context"], stream=False
    ).json()
    sent = _prompt(inprocess)
    assert isinstance(sent, list) and sent[: len(first["context"])] == first["context"]
    assert again["context"][: len(sent)] == sent


@pytest.mark.parametrize(
    ("path", "extra", "capability"),
    [
        ("/api/generate", {"prompt": "a", "suffix": "b"}, "insert"),
        ("/api/generate", {"prompt": "a", "images": ["aGVsbG8="]}, "vision"),
        (
            "/api/chat",
            {"messages": [{"role": "user", "content": "a", "images": ["aGk="]}]},
            "vision",
        ),
        ("/api/chat", {"messages": HELLO, "tools": [WEATHER_TOOL]}, "tools"),
    ],
)
def test_what_the_model_cannot_do_is_refused(
    inprocess: InProcessServer, path: str, extra: dict[str, Any], capability: str
) -> None:
    answer = inprocess.post(path, model="tiny", stream=False, **extra)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": f"registry.ollama.ai/library/tiny:latest does not support {capability}"
    }
    assert inprocess.runners.started == [] or inprocess.runner.requests == []


# BOS + 11 words: over a context of 8, the first user turn is dropped, the system kept.
LONG_HISTORY = [
    {"role": "system", "content": "sys"},
    {"role": "user", "content": "a b c d e f"},
    {"role": "assistant", "content": "g h i j k l"},
    {"role": "user", "content": "last"},
]
FULL = (
    "<system>sys</system><user>a b c d e f</user><assistant>g h i j k l</assistant>"
    "<user>last</user><assistant>"
)


def test_old_turns_are_dropped_to_fit_the_context(inprocess: InProcessServer) -> None:
    inprocess.create("small", template=CHAT_TEMPLATE, parameters={"num_ctx": 8})
    inprocess.post("/api/chat", model="small", messages=LONG_HISTORY, stream=False)
    assert inprocess.runner.spec.num_ctx == 8
    assert _prompt(inprocess) == (
        "<system>sys</system><assistant>g h i j k l</assistant><user>last</user><assistant>"
    )
    inprocess.post("/api/chat", model="tiny", messages=LONG_HISTORY, stream=False)
    assert _prompt(inprocess) == FULL  # the default context holds it all


def test_num_ctx_option_truncates_and_truncate_false_keeps_everything(
    inprocess: InProcessServer,
) -> None:
    body = {"model": "tiny", "messages": LONG_HISTORY, "stream": False}
    inprocess.post("/api/chat", **body, options={"num_ctx": 8})
    assert _prompt(inprocess).startswith("<system>sys</system><assistant>g")
    inprocess.post("/api/chat", **body, options={"num_ctx": 8}, truncate=False)
    assert _prompt(inprocess) == FULL
    inprocess.post("/api/chat", **body, options={"num_ctx": 8}, shift=False)
    assert inprocess.runner.requests[-1].shift is False  # the runner refuses what overflows
    inprocess.post("/api/generate", model="tiny", prompt="x", stream=False)
    assert inprocess.runner.requests[-1].shift is True


def test_thinking_is_split_from_the_answer(rich: InProcessServer) -> None:
    rich.reply("<think>", "hmm ok", "</think>", "Answer")
    whole = rich.post("/api/chat", model="rich", messages=HELLO, think=True, stream=False).json()
    assert whole["message"] == {"role": "assistant", "content": "Answer", "thinking": "hmm ok"}
    lines = rich.stream("/api/chat", model="rich", messages=HELLO, think=True)
    assert [line["message"] for line in lines] == [
        {"role": "assistant", "content": "", "thinking": "hmm ok"},
        {"role": "assistant", "content": "Answer"},
        {"role": "assistant", "content": ""},
    ]
    generated = rich.post("/api/generate", model="rich", prompt="hi", think=True, stream=False)
    assert (generated.json()["response"], generated.json()["thinking"]) == ("Answer", "hmm ok")


def test_think_false_reaches_the_template_and_keeps_the_tags(rich: InProcessServer) -> None:
    rich.reply("<think>", "hmm", "</think>", "Answer")
    off = rich.post("/api/chat", model="rich", messages=HELLO, think=False, stream=False).json()
    assert off["message"] == {"role": "assistant", "content": "<think>hmm</think>Answer"}
    assert _prompt(rich).endswith("<assistant><nothink>")


def test_think_refusals(rich: InProcessServer) -> None:
    plain = rich.post("/api/chat", model="tiny", messages=HELLO, think=True)
    assert (plain.status_code, plain.json()) == (400, {"error": '"tiny" does not support thinking'})
    bad = rich.post("/api/chat", model="rich", messages=HELLO, think="x")
    assert bad.status_code == 400
    assert bad.json() == {
        "error": 'invalid think value: "x" (must be "high", "medium", "low", "max", true, or false)'
    }


def test_tool_calls_are_parsed_from_the_output(rich: InProcessServer) -> None:
    rich.reply("Sure ", WEATHER_CALL)
    body = {"model": "rich", "messages": HELLO, "tools": [WEATHER_TOOL], "think": False}
    whole = rich.post("/api/chat", **body, stream=False).json()
    assert _prompt(rich) == (
        "<system>be brief</system><tools>get_weather;</tools><user>hello</user><assistant><nothink>"
    )
    message = whole["message"]
    assert message["content"] == "Sure "
    [call] = message["tool_calls"]
    assert call["id"].startswith("call_")
    assert call["function"] == {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}
    lines = rich.stream("/api/chat", **body)
    assert [line["message"].get("tool_calls") is not None for line in lines] == [
        False,
        True,
        False,
    ]
    assert lines[1]["message"]["content"] == ""
    assert lines[1]["message"]["tool_calls"][0]["function"] == call["function"]
    assert lines[-1]["done"] is True


def test_tool_call_history_is_rendered(rich: InProcessServer) -> None:
    history = [
        *HELLO,
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "content": "sunny"},
    ]
    rich.post("/api/chat", model="rich", messages=history, tools=[WEATHER_TOOL], stream=False)
    assert '<assistant><tool_call>{"name": "get_weather"}</tool_call></assistant>' in _prompt(rich)
    assert _prompt(rich).endswith("<tool>sunny</tool><assistant>")
