"""`pollama run` without a server: flags, prompt assembly, one-shot vs interactive."""

from __future__ import annotations

import io
from typing import Any

import pytest

from pollama.cli import run_cmd
from pollama.cli.run_cmd import RunFlags
from pollama.cli.run_options import (
    RunOptions,
    infer_think,
    keep_alive_value,
    parse_think_flag,
)
from pollama.errors import BadRequest, PollamaError
from tests.cli.fakes import (
    FakeClient,
    ScriptedReader,
    capture_console,
    chat_events,
    generate_events,
    text_of,
)


class Stdin(io.StringIO):
    def __init__(self, text: str = "", tty: bool = False) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def make_client(**show: Any) -> FakeClient:
    client = FakeClient()
    client.routes[("POST", "/api/show")] = {"capabilities": ["completion"], "details": {}, **show}
    client.streams["/api/generate"] = lambda body: (
        generate_events("Four.", eval_count=3, eval_duration=500_000_000)
        if body.get("prompt")
        else [{"done": True, "done_reason": "load"}]
    )
    client.streams["/api/chat"] = chat_events("Hi!")
    return client


def run(
    client: FakeClient,
    args: list[str],
    flags: RunFlags | None = None,
    *,
    stdin: Stdin | None = None,
    terminal: bool = False,
    script: list[str | BaseException] | None = None,
) -> tuple[str, str]:
    out, err = capture_console(terminal=terminal), capture_console()
    run_cmd.run(
        client,
        "gemma3",
        args,
        flags or RunFlags(),
        stdin=stdin or Stdin(tty=True),
        out=out,
        err=err,
        reader=ScriptedReader(script or []),
    )
    return text_of(out), text_of(err)


def test_parse_think_flag() -> None:
    assert parse_think_flag("") is True
    assert parse_think_flag("true") is True
    assert parse_think_flag("false") is False
    assert [parse_think_flag(v) for v in ("low", "medium", "high", "max")] == [
        "low",
        "medium",
        "high",
        "max",
    ]
    with pytest.raises(BadRequest) as caught:
        parse_think_flag("extreme")
    assert caught.value.message == (
        'invalid value for --think: "extreme" (must be true, false, high, medium, low, or max)'
    )


def test_keep_alive_value_is_sent_as_go_prints_it() -> None:
    assert keep_alive_value("5m") == "5m0s"
    assert keep_alive_value("90s") == "1m30s"
    assert keep_alive_value("0") == "0s"
    assert keep_alive_value("-1m") == -1
    with pytest.raises(BadRequest, match='time: missing unit in duration "300"'):
        keep_alive_value("300")


def test_infer_think() -> None:
    opts = RunOptions(model="m")
    assert infer_think(["completion", "thinking"], opts) is True
    assert infer_think(["completion"], opts) is None
    explicit = RunOptions(model="m", think=False, think_explicit=True)
    assert infer_think(["thinking"], explicit) is False


def test_one_shot_prompt() -> None:
    client = make_client()
    out, err = run(client, ["What", "is", "2+2?"])
    assert out == "Four.\n\n"
    assert err == ""
    assert client.bodies("/api/generate") == [{"model": "gemma3", "prompt": "What is 2+2?"}]
    assert client.bodies("/api/show") == [{"model": "gemma3"}]


def test_piped_stdin_comes_first() -> None:
    client = make_client()
    run(client, ["Summarize."], stdin=Stdin("some text\n"), terminal=True)
    assert client.bodies("/api/generate")[0]["prompt"] == "some text\n Summarize."


def test_piped_stdin_alone_is_not_interactive() -> None:
    client = make_client()
    out, _ = run(client, [], stdin=Stdin("just this"))
    assert client.bodies("/api/generate")[0]["prompt"] == "just this"
    assert out == "Four.\n\n"


def test_flags_reach_the_request() -> None:
    client = make_client(capabilities=["completion", "thinking"])
    flags = RunFlags(keepalive="10m", format="json", think="high", verbose=True)
    _, err = run(client, ["hi"], flags)
    body = client.bodies("/api/generate")[0]
    assert body == {
        "model": "gemma3",
        "prompt": "hi",
        "format": "json",
        "keep_alive": "10m0s",
        "think": "high",
    }
    assert err == (
        "eval count:           3 token(s)\n"
        "eval duration:        500ms\n"
        "eval rate:            6.00 tokens/s\n"
    )


def test_thinking_model_thinks_by_default() -> None:
    client = make_client(capabilities=["completion", "thinking"])
    run(client, ["hi"])
    assert client.bodies("/api/generate")[0]["think"] is True
    client = make_client(capabilities=["completion", "thinking"])
    run(client, ["hi"], RunFlags(think="false"))
    assert client.bodies("/api/generate")[0]["think"] is False


def test_thinking_in_one_shot_output() -> None:
    client = make_client()
    client.streams["/api/generate"] = [
        {"response": "", "thinking": "Hmm.", "done": False},
        {"response": "Yes.", "done": False},
        {"response": "", "done": True},
    ]
    out, _ = run(client, ["q"])
    assert out == "Thinking...\nHmm.\n...done thinking.\n\nYes.\n\n"
    client.streams["/api/generate"] = client.streams["/api/generate"]
    out, _ = run(client, ["q"], RunFlags(hidethinking=True))
    assert out == "Yes.\n\n"


def test_missing_model_is_pulled_then_shown() -> None:
    shown = iter(
        [
            PollamaError("model 'gemma3:latest' not found", 404),
            {"capabilities": ["completion"], "details": {}},
        ]
    )
    client = make_client()
    client.routes[("POST", "/api/show")] = lambda body: next(shown)
    client.streams["/api/pull"] = [{"status": "success"}]
    out, _ = run(client, ["hi"], RunFlags(insecure=True))
    assert client.bodies("/api/pull") == [{"model": "gemma3", "insecure": True}]
    assert out == "Four.\n\n"


def test_failed_pull_is_an_error() -> None:
    client = FakeClient()
    client.routes[("POST", "/api/show")] = PollamaError("model 'gemma3:latest' not found", 404)
    client.streams["/api/pull"] = [PollamaError("pull model manifest: file does not exist", 500)]
    with pytest.raises(PollamaError, match="file does not exist"):
        run(client, ["hi"])
    assert client.bodies("/api/generate") == []


def test_other_show_errors_pass_through() -> None:
    client = FakeClient()
    client.routes[("POST", "/api/show")] = PollamaError("boom", 500)
    with pytest.raises(PollamaError, match="boom"):
        run(client, ["hi"])


def test_bad_keepalive_fails_before_any_request() -> None:
    client = make_client()
    with pytest.raises(BadRequest, match="time: invalid duration"):
        run(client, ["hi"], RunFlags(keepalive="soon"))
    assert client.calls == []


def test_interactive_loads_replays_and_chats() -> None:
    client = make_client(
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    )
    out, _ = run(client, [], terminal=True, script=["yo", "/bye"], flags=RunFlags(keepalive="1h"))
    assert client.bodies("/api/generate") == [{"model": "gemma3", "keep_alive": "1h0m0s"}]
    assert out == ">>> Hi\nHello!\n\nHi!\n\n"
    # The model's own MESSAGE history is added by the server, not resent by the client.
    assert client.bodies("/api/chat")[0]["messages"] == [{"role": "user", "content": "yo"}]


def test_stdout_not_a_terminal_is_not_interactive() -> None:
    client = make_client()
    out, _ = run(client, [], terminal=False, script=["never"])
    assert client.bodies("/api/chat") == []
    assert client.bodies("/api/generate") == [{"model": "gemma3", "prompt": ""}]
    assert out == ""


def test_embedding_model() -> None:
    client = make_client(capabilities=["embedding"])
    client.routes[("POST", "/api/embed")] = {"embeddings": [[0.5, -1.25, 3.0]]}
    out, _ = run(client, ["some", "text"])
    assert out == "[0.5,-1.25,3.0]\n"
    assert client.bodies("/api/embed") == [{"model": "gemma3", "input": "some text"}]
    with pytest.raises(BadRequest, match="embedding models require input text"):
        run(client, [], terminal=True)


def test_vision_prompt_images(tmp_path: Any) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    client = make_client(capabilities=["completion", "vision"])
    _, err = run(client, [f"what is in {image} ?"])
    body = client.bodies("/api/generate")[0]
    assert body["prompt"] == "what is in  ?"
    assert body["images"] == ["iVBORw0KGgoAAAAAAAAAAAAAAAAAAAAA"]
    assert err == f"Added image '{image}'\n"
