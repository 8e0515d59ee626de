"""Native chat chunks → OpenAI chat completion objects and stream chunks."""

from __future__ import annotations

from typing import Any

from pollama.api.openai.chat_response import ChatStream, chat_completion
from pollama.serving.generation import collect
from tests.fixtures.native import native_chunk

CALL = {"id": "call_12345678", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
LOGPROB = {
    "token": "Hi",
    "logprob": -0.5,
    "bytes": [72, 105],
    "top_logprobs": [{"token": "Hi", "logprob": -0.5, "bytes": [72, 105]}],
}


def chunk(**message: Any) -> dict[str, Any]:
    return {
        "model": "m",
        "created_at": "t",
        "message": {"role": "assistant", "content": "", **message},
        "done": False,
    }


def final(reason: str = "stop") -> dict[str, Any]:
    out = chunk()
    out.update(done=True, done_reason=reason, prompt_eval_count=5, eval_count=3)
    return out


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks]


def test_stream_role_split_and_finish() -> None:
    stream = ChatStream(model="m")
    first = stream.translate(native_chunk(chunk(thinking="hmm", content="Hel")))
    assert deltas(first) == [{"role": "assistant", "reasoning": "hmm"}, {"content": "Hel"}]
    assert deltas(stream.translate(native_chunk(chunk(content="lo")))) == [{"content": "lo"}]
    finish = stream.translate(native_chunk(final("length")))
    assert deltas(finish) == [{}]
    assert finish[0]["choices"][0]["finish_reason"] == "length"
    assert stream.tail() == []
    for item in first + finish:
        assert item["object"] == "chat.completion.chunk"
        assert item["id"] == stream.id and item["id"].startswith("chatcmpl-")
        assert item["created"] == stream.created and item["system_fingerprint"] == "fp_ollama"
    assert first[0]["choices"][0]["finish_reason"] is None


def test_stream_tool_calls_finish_reason_and_usage() -> None:
    stream = ChatStream(model="m", include_usage=True)
    out = stream.translate(native_chunk(chunk(tool_calls=[CALL])))
    assert deltas(out) == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_12345678",
                    "index": 0,
                    "type": "function",
                    "function": {"name": "f", "arguments": '{"x":1}'},
                }
            ],
        }
    ]
    assert stream.translate(native_chunk(final()))[0]["choices"][0]["finish_reason"] == "tool_calls"
    [usage] = stream.tail()
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}


def test_stream_logprobs_on_the_content_chunk() -> None:
    stream = ChatStream(model="m")
    [out] = stream.translate(native_chunk({**chunk(content="Hi"), "logprobs": [LOGPROB]}))
    assert out["choices"][0]["logprobs"] == {"content": [LOGPROB]}
    [bare] = stream.translate(
        native_chunk({**chunk(), "logprobs": [{"token": "", "logprob": -1.0}]})
    )
    assert bare["choices"][0]["delta"] == {"content": ""}
    entry = bare["choices"][0]["logprobs"]["content"][0]
    assert entry == {"token": "", "logprob": -1.0, "bytes": None, "top_logprobs": []}


def test_non_stream_completion() -> None:
    events = [
        {**chunk(thinking="t", content="Hi"), "logprobs": [LOGPROB]},
        chunk(tool_calls=[CALL]),
        final(),
    ]
    answer = chat_completion(
        collect([native_chunk(e) for e in events]), id="chatcmpl-1", created=42
    )
    assert answer == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 42,
        "model": "m",
        "system_fingerprint": "fp_ollama",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hi",
                    "reasoning": "t",
                    "tool_calls": [
                        {
                            "id": "call_12345678",
                            "index": 0,
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"x":1}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
                "logprobs": {"content": [LOGPROB]},
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }


def test_non_stream_plain() -> None:
    answer = chat_completion(
        collect([native_chunk(chunk(content="ok")), native_chunk(final())]), id="x", created=1
    )
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": "ok"}
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert "logprobs" not in answer["choices"][0]
