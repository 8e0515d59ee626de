"""Native chunks serialise to Ollama's JSON: its keys, its order, its omissions."""

from __future__ import annotations

from pollama.runner.types import TokenLogprob, TopLogprob
from pollama.serving.chunks import Metrics, NativeChunk
from pollama.serving.generation import collect, load_only, single_answer
from tests.fixtures.native import native_chunk

CALL = {"id": "call_1", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}


def test_a_generate_piece_leaves_out_what_is_empty() -> None:
    piece = NativeChunk("generate", "m", "t", content="Hi")
    assert piece.to_json() == {"model": "m", "created_at": "t", "response": "Hi", "done": False}
    thinking = NativeChunk("generate", "m", "t", thinking="hm")
    assert list(thinking.to_json()) == ["model", "created_at", "response", "thinking", "done"]


def test_a_chat_piece_carries_the_message() -> None:
    piece = NativeChunk("chat", "m", "t", content="", thinking="hm", tool_calls=[CALL])
    assert piece.to_json()["message"] == {
        "role": "assistant",
        "content": "",
        "thinking": "hm",
        "tool_calls": [CALL],
    }


def test_the_final_chunk_orders_reason_context_metrics_then_cache() -> None:
    final = NativeChunk(
        "generate",
        "m",
        "t",
        done=True,
        done_reason="stop",
        context=[1, 2],
        metrics=Metrics(total_duration=5, eval_count=2),
        prompt_cache_count=1,
    )
    assert list(final.to_json()) == [
        "model",
        "created_at",
        "response",
        "done",
        "done_reason",
        "context",
        "total_duration",
        "eval_count",
        "prompt_cache_count",
    ]


def test_logprobs_come_last_and_top_logprobs_only_when_there_are_some() -> None:
    top = TopLogprob("a", -0.1, [97])
    piece = NativeChunk(
        "chat",
        "m",
        "t",
        content="a",
        logprobs=[TokenLogprob("a", -0.1, [97], [top]), TokenLogprob("b", -0.2, [98])],
    )
    wire = piece.to_json()
    assert list(wire)[-1] == "logprobs"
    assert wire["logprobs"] == [
        {
            "token": "a",
            "logprob": -0.1,
            "bytes": [97],
            "top_logprobs": [{"token": "a", "logprob": -0.1, "bytes": [97]}],
        },
        {"token": "b", "logprob": -0.2, "bytes": [98]},
    ]


def test_collect_merges_text_and_keeps_the_final_fields() -> None:
    pieces = [
        NativeChunk("generate", "m", "t1", thinking="hm"),
        NativeChunk("generate", "m", "t2", content="Hi", logprobs=[TokenLogprob("Hi", -1, [])]),
        NativeChunk("generate", "m", "t3", done=True, done_reason="stop"),
    ]
    answer = collect(pieces)
    assert answer is not None
    # the merged thinking of a generate answer goes after the final chunk's fields
    assert list(answer.to_json()) == [
        "model",
        "created_at",
        "response",
        "done",
        "done_reason",
        "thinking",
        "logprobs",
    ]
    assert answer.created_at == "t3" and answer.content == "Hi" and answer.thinking == "hm"
    assert collect([]) is None


def test_single_answers() -> None:
    assert load_only("chat", "m", "load").to_json()["done_reason"] == "load"
    debug = single_answer("generate", "m", debug_info={"rendered_template": "x"}).to_json()
    assert "done_reason" not in debug and debug["_debug_info"] == {"rendered_template": "x"}


def test_the_test_fixture_reads_the_json_back() -> None:
    wire = {
        "model": "m",
        "created_at": "t",
        "message": {"role": "assistant", "content": "", "tool_calls": [CALL]},
        "done": True,
        "done_reason": "stop",
        "total_duration": 3,
        "eval_count": 1,
        "prompt_cache_count": 2,
    }
    assert native_chunk(wire).to_json() == wire
