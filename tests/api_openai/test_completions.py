"""`/v1/completions` translation both ways."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.api.openai.completions import CompletionStream, generate_request
from pollama.api.openai.requests import CompletionRequest
from pollama.errors import BadRequest
from pollama.serving.generation import collect
from tests.fixtures.native import native_chunk


def translate(**fields: Any) -> dict[str, Any]:
    body = CompletionRequest.model_validate({"model": "m", "prompt": "Say", **fields})
    return generate_request(body).model_dump(exclude_none=True)


def chunk(text: str, logprobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"model": "m", "created_at": "t", "response": text, "done": False}
    if logprobs:
        out["logprobs"] = logprobs
    return out


FINAL = {
    "model": "m",
    "created_at": "t",
    "response": "",
    "done": True,
    "done_reason": "length",
    "prompt_eval_count": 2,
    "eval_count": 2,
}


def lp(token: str, value: float) -> dict[str, Any]:
    return {"token": token, "logprob": value, "top_logprobs": [{"token": token, "logprob": value}]}


def test_request_mapping() -> None:
    native = translate()
    assert native["prompt"] == "Say" and native["stream"] is False
    assert native["options"] == {
        "temperature": 1.0,
        "top_p": 1.0,
        "frequency_penalty": 0.0,
        "presence_penalty": 0.0,
    }
    assert native["logprobs"] is False
    native = translate(top_p=0, max_tokens=5, stop=["x"], seed=1, suffix="end", logprobs=2)
    assert native["options"]["top_p"] == 1.0 and native["options"]["num_predict"] == 5
    assert native["options"]["stop"] == ["x"] and native["suffix"] == "end"
    assert native["logprobs"] is True and native["top_logprobs"] == 2


def test_stop_must_be_strings() -> None:
    with pytest.raises(BadRequest, match="invalid type for 'stop' field"):
        translate(stop=["a", 3])


def test_non_stream_with_echo_and_logprobs() -> None:
    stream = CompletionStream(model="m", echo_prompt="Say")
    events = [chunk(" hi", [lp(" hi", -0.1)]), chunk("!", [lp("!", -0.2)]), FINAL]
    answer = stream.completion(collect([native_chunk(e) for e in events]))
    assert answer["object"] == "text_completion" and answer["id"].startswith("cmpl-")
    assert answer["system_fingerprint"] == "fp_ollama"
    [choice] = answer["choices"]
    assert choice["text"] == "Say hi!" and choice["finish_reason"] == "length"
    assert choice["logprobs"] == {
        "tokens": [" hi", "!"],
        "token_logprobs": [-0.1, -0.2],
        "top_logprobs": [{" hi": -0.1}, {"!": -0.2}],
        "text_offset": [3, 6],
    }
    assert answer["usage"] == {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}


def test_stream_chunks_and_usage() -> None:
    stream = CompletionStream(model="m", include_usage=True)
    [first] = stream.translate(native_chunk(chunk("a", [lp("a", -1.0)])))
    [second] = stream.translate(native_chunk(chunk("bc", [lp("bc", -2.0)])))
    [last] = stream.translate(native_chunk(FINAL))
    assert first["choices"][0]["text"] == "a" and first["choices"][0]["finish_reason"] is None
    assert second["choices"][0]["logprobs"]["text_offset"] == [1]
    assert last["choices"][0] == {"text": "", "index": 0, "finish_reason": "length"}
    assert first["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    [usage] = stream.tail()
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 4


def test_stream_echo_prepended_once() -> None:
    stream = CompletionStream(model="m", echo_prompt="P:")
    texts = [stream.translate(native_chunk(chunk(t)))[0]["choices"][0]["text"] for t in ("x", "y")]
    assert texts == ["P:x", "y"]
    assert "usage" not in stream.translate(native_chunk(FINAL))[0] and stream.tail() == []
