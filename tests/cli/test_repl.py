"""The REPL driven by scripted lines and a fake client: commands, blocks, chat turns."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.cli.line_reader import Interrupted
from pollama.cli.repl import ALT_PROMPT, PROMPT, Repl
from pollama.cli.run_options import RunOptions
from pollama.errors import PollamaError
from tests.cli.fakes import (
    FakeClient,
    ScriptedReader,
    capture_console,
    chat_events,
    text_of,
)

SHOW = {
    "capabilities": ["completion"],
    "details": {"parent_model": "", "family": "gemma3"},
    "parameters": 'stop                           "<end_of_turn>"',
    "template": "{{ .Prompt }}",
    "license": "Gemma terms",
    "system": "",
    "modelfile": "FROM gemma\n",
}


def make_client(show: dict[str, Any] | None = None) -> FakeClient:
    client = FakeClient()
    client.routes[("POST", "/api/show")] = show or SHOW
    client.streams["/api/chat"] = chat_events(
        "Hello", " there!", eval_count=2, eval_duration=1_000_000_000
    )
    client.streams["/api/generate"] = [{"done": True, "done_reason": "load"}]
    return client


class Harness:
    def __init__(
        self, script: list[str | BaseException], client: FakeClient | None = None, **opts: Any
    ) -> None:
        self.client = client or make_client()
        self.reader = ScriptedReader(script)
        self.out = capture_console()
        self.err = capture_console()
        self.repl = Repl(
            RunOptions(model="gemma3", **opts), self.client, self.reader, self.out, self.err
        )

    def run(self) -> Harness:
        self.repl.run()
        return self

    @property
    def stdout(self) -> str:
        return text_of(self.out)

    @property
    def stderr(self) -> str:
        return text_of(self.err)

    @property
    def chats(self) -> list[Any]:
        return self.client.bodies("/api/chat")


def test_chat_turns_accumulate_messages() -> None:
    h = Harness(["hi", "and again", "/bye"]).run()
    assert [len(body["messages"]) for body in h.chats] == [1, 3]
    assert h.chats[1]["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello there!"},
        {"role": "user", "content": "and again"},
    ]
    assert h.stdout == "Hello there!\n\nHello there!\n\n"
    assert h.reader.prompts == [PROMPT, PROMPT, PROMPT]


def test_request_carries_session_settings() -> None:
    h = Harness(
        ["/set parameter temperature 0", "/set format json", "/set think low", "q"],
        keep_alive="5m0s",
    ).run()
    body = h.chats[0]
    assert body["model"] == "gemma3"
    assert body["options"] == {"temperature": 0.0}
    assert body["format"] == "json"
    assert body["think"] == "low"
    assert body["keep_alive"] == "5m0s"


def test_eof_prints_newline_and_ends() -> None:
    h = Harness([]).run()
    assert h.stdout == "\n"
    assert h.chats == []


def test_exit_commands() -> None:
    for command in ("/bye", "/exit"):
        h = Harness([command, "never read"]).run()
        assert h.reader.script == ["never read"]


def test_ctrl_c_on_empty_line_prints_hint() -> None:
    h = Harness([Interrupted(""), Interrupted("half typed"), "/bye"]).run()
    assert h.stdout == "\nUse Ctrl + d or /bye to exit.\n\n"


def test_multiline_message() -> None:
    h = Harness(['"""first line', "second line", 'end"""', "/bye"]).run()
    assert h.chats[0]["messages"][0]["content"] == "first line\nsecond line\nend"
    assert h.reader.prompts == [PROMPT, ALT_PROMPT, ALT_PROMPT, PROMPT]


def test_multiline_on_one_line_and_bare_fence() -> None:
    h = Harness(['"""one"""', '"""', "two", '"""', "/bye"]).run()
    assert [b["messages"][-1]["content"] for b in h.chats] == ["one", "\ntwo\n"]


def test_ctrl_c_abandons_a_block() -> None:
    h = Harness(['"""abc', Interrupted("x"), "fresh", "/bye"]).run()
    assert h.chats[0]["messages"][0]["content"] == "fresh"


def test_set_system_replaces_trailing_system_message() -> None:
    h = Harness(["/set system You are terse.", "/set system Be kind.", "hello", "/bye"]).run()
    assert h.stdout.startswith("Set system message.\nSet system message.\n")
    assert h.chats[0]["messages"] == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "hello"},
    ]


def test_set_system_multiline() -> None:
    h = Harness(['/set system """Line one', 'line two"""', "hi", "/bye"]).run()
    assert h.chats[0]["messages"][0] == {"role": "system", "content": "Line one\nline two"}
    assert h.stdout.startswith("Set system message.\n")


def test_set_system_quoted_on_one_line() -> None:
    h = Harness(['/set system """Be   brief."""', "hi", "/bye"]).run()
    assert h.chats[0]["messages"][0] == {"role": "system", "content": "Be brief."}


def test_clear_keeps_system() -> None:
    h = Harness(["/set system S", "hi", "/clear", "again", "/bye"]).run()
    assert "Cleared session context\n" in h.stdout
    assert h.chats[1]["messages"] == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "again"},
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/set wordwrap", "Set 'wordwrap' mode."),
        ("/set nowordwrap", "Set 'nowordwrap' mode."),
        ("/set verbose", "Set 'verbose' mode."),
        ("/set quiet", "Set 'quiet' mode."),
        ("/set think", "Set 'think' mode."),
        ("/set think high", "Set 'think' mode to 'high'."),
        ("/set nothink", "Set 'nothink' mode."),
        ("/set format json", "Set format to 'json' mode."),
        ("/set format yaml", "Invalid or missing format. For 'json' mode use '/set format json'"),
        ("/set format", "Invalid or missing format. For 'json' mode use '/set format json'"),
        ("/set noformat", "Disabled format."),
        ("/set bogus", "Unknown command '/set bogus'. Type /? for help"),
        ("/set parameter temperature 0.5", "Set parameter 'temperature' to '0.5'"),
        ("/set parameter stop a b", "Set parameter 'stop' to 'a, b'"),
        ("/set parameter num_ctx big", 'Couldn\'t set parameter: "invalid int value [big]"'),
        ("/set parameter nonsense 1", "Couldn't set parameter: \"unknown parameter 'nonsense'\""),
        ("/frobnicate now", "Unknown command '/frobnicate'. Type /? for help"),
        ("/load", "Usage:\n  /load <modelname>"),
        ("/save", "Usage:\n  /save <modelname>"),
    ],
)
def test_command_confirmations(line: str, expected: str) -> None:
    h = Harness([line, "/bye"]).run()
    assert h.stdout == expected + "\n"
    assert h.chats == []


def test_set_think_warns_when_model_cannot_think() -> None:
    h = Harness(["/set think", "/bye"]).run()
    assert h.stderr == 'warning: model "gemma3" does not support thinking output\n'
    thinking = make_client({**SHOW, "capabilities": ["completion", "thinking"]})
    assert Harness(["/set nothink", "/bye"], thinking).run().stderr == ""


def test_history_toggles_are_silent() -> None:
    h = Harness(["/set nohistory", "/set history", "/bye"]).run()
    assert h.reader.history == [False, True]
    assert h.stdout == ""


def test_set_parameter_values_are_typed() -> None:
    h = Harness(
        [
            "/set parameter num_predict 16",
            "/set parameter stop x y",
            "/set parameter temperature 0.25",
            "hi",
            "/bye",
        ]
    ).run()
    assert h.chats[0]["options"] == {"num_predict": 16, "stop": ["x", "y"], "temperature": 0.25}


def test_help_screens_go_to_stderr() -> None:
    h = Harness(
        ["/?", "/help set", "/? show", "/? shortcuts", "/set", "/show", "/set parameter", "/bye"]
    ).run()
    assert h.stdout == ""
    assert h.stderr.count("Available Commands:") == 5
    assert 'Use """ to begin a multi-line message.' in h.stderr
    assert "  /set parameter ...     Set a parameter" in h.stderr
    assert "  /show modelfile    Show Modelfile for this model" in h.stderr
    assert "Available keyboard shortcuts:" in h.stderr
    assert "Available Parameters:" in h.stderr


def test_show_subcommands() -> None:
    h = Harness(
        ["/show license", "/show template", "/show modelfile", "/show system", "/show nope", "/bye"]
    ).run()
    assert h.stdout == (
        "Gemma terms\n{{ .Prompt }}\nFROM gemma\n\n"
        "No system message was specified for this model.\n"
        "Unknown command '/show nope'. Type /? for help\n"
    )


def test_show_empties_and_session_system() -> None:
    bare = make_client({**SHOW, "license": "", "template": "", "parameters": ""})
    h = Harness(
        [
            "/show license",
            "/show template",
            "/set system Mine",
            "/show system",
            "/show parameters",
            "/bye",
        ],
        bare,
    ).run()
    assert h.stdout == (
        "No license was specified for this model.\n"
        "No prompt template was specified for this model.\n"
        "Set system message.\nMine\n\n"
        "Model defined parameters:\n"
        "  No additional parameters were specified for this model.\n\n"
    )


def test_show_parameters_with_user_parameters() -> None:
    h = Harness(
        ["/set parameter temperature 0.7", "/set parameter stop a b", "/show parameters", "/bye"]
    ).run()
    assert h.stdout.split("\n", 2)[2] == (
        "Model defined parameters:\n"
        '  stop                           "<end_of_turn>"\n\n'
        "User defined parameters:\n"
        "  temperature                    0.7\n"
        "  stop                           [a b]\n\n"
    )
    show_body = h.client.bodies("/api/show")[-1]
    assert show_body["options"] == {"temperature": 0.7, "stop": ["a", "b"]}


def test_load_switches_model_and_resets_history() -> None:
    h = Harness(["hi", "/load other", "again", "/bye"]).run()
    assert "Loading model 'other'\n" in h.stdout
    assert h.client.bodies("/api/generate") == [{"model": "other"}]
    assert h.chats[1] == {"model": "other", "messages": [{"role": "user", "content": "again"}]}


def test_load_unknown_model_keeps_session() -> None:
    client = make_client()
    client.routes[("POST", "/api/show")] = lambda body: (
        PollamaError("model 'ghost:latest' not found", 404) if body["model"] == "ghost" else SHOW
    )
    h = Harness(["hi", "/load ghost", "again", "/bye"], client).run()
    assert "Loading model 'ghost'\nCouldn't find model 'ghost'\n" in h.stdout
    assert h.chats[1]["model"] == "gemma3"
    assert len(h.chats[1]["messages"]) == 3


def test_load_infers_thinking() -> None:
    client = make_client({**SHOW, "capabilities": ["completion", "thinking"]})
    h = Harness(["/load thinker", "/bye"], client).run()
    assert h.client.bodies("/api/generate") == [{"model": "thinker", "think": True}]


def test_save_sends_create_request() -> None:
    client = make_client()
    client.streams["/api/create"] = [{"status": "success"}]
    h = Harness(
        ["/set system Sys", "/set parameter temperature 0", "hi", "/save mine", "/bye"], client
    ).run()
    assert h.stdout.endswith("Created new model 'mine'\n")
    assert client.bodies("/api/create") == [
        {
            "model": "mine",
            "from": "gemma3",
            "system": "Sys",
            "parameters": {"temperature": 0.0},
            "messages": [
                {"role": "system", "content": "Sys"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "Hello there!"},
            ],
        }
    ]


def test_save_prefers_a_valid_parent_model() -> None:
    h = Harness(["/save copy", "/bye"], parent_model="library/base:1b")
    h.client.streams["/api/create"] = [{"status": "success"}]
    h.run()
    assert h.client.bodies("/api/create") == [{"model": "copy", "from": "library/base:1b"}]


def test_save_invalid_name() -> None:
    client = make_client()
    client.streams["/api/create"] = [PollamaError("invalid model name", 400)]
    h = Harness(["/save bad!name", "/bye"], client).run()
    assert h.stdout == "error: The model name 'bad!name' is invalid\n"


GGUF_FILE = "gemma-3-270m-q4_k_m.gguf"
GGUF_MODEL_SHOW = {
    **SHOW,
    "details": {"parent_model": GGUF_FILE},
    "system": "Be brief.",
    "modelfile": (
        "FROM /models/blobs/sha256-abc\n"
        "PARAMETER temperature 0.5\n"
        "PARAMETER stop <end_of_turn>\n"
        "PARAMETER stop [/INST]\n"
        "MESSAGE user Hi\n"
        "MESSAGE assistant Hello!\n"
    ),
    "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
}


def gguf_model_client() -> FakeClient:
    """`gemma3` created from a GGUF file, the only model in the store."""

    def show(body: dict[str, Any]) -> Any:
        if body["model"] == "gemma3":
            return GGUF_MODEL_SHOW
        return PollamaError(f"model '{body['model']}' not found", 404)

    client = make_client()
    client.routes[("POST", "/api/show")] = show
    client.streams["/api/create"] = [{"status": "success"}]
    return client


def test_save_of_a_model_made_from_a_gguf_builds_on_the_model() -> None:
    client = gguf_model_client()
    script = ["/load gemma3", "/set parameter temperature 0", "hi", "/save mine", "/bye"]
    h = Harness(script, client).run()
    assert h.stdout.endswith("Created new model 'mine'\n")
    assert ("POST", "/api/show", {"model": GGUF_FILE}) in client.calls  # not a local model
    assert client.bodies("/api/create") == [
        {
            "model": "mine",
            "from": "gemma3",
            "system": "Be brief.",
            "parameters": {"temperature": 0.0, "stop": ["<end_of_turn>", "[/INST]"]},
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "Hello there!"},
            ],
        }
    ]


def test_save_from_a_local_parent_carries_the_models_settings() -> None:
    client = gguf_model_client()
    derived = {**GGUF_MODEL_SHOW, "details": {"parent_model": "base:1b"}}
    client.routes[("POST", "/api/show")] = derived  # the parent is a local model too
    h = Harness(["/load gemma3", "/set system Mine", "/save mine", "/bye"], client).run()
    assert h.stdout.endswith("Created new model 'mine'\n")
    (body,) = client.bodies("/api/create")
    assert body["from"] == "base:1b"
    assert body["system"] == "Mine"
    assert body["parameters"] == {"temperature": 0.5, "stop": ["<end_of_turn>", "[/INST]"]}
    assert body["messages"][:2] == GGUF_MODEL_SHOW["messages"]
    assert body["messages"][2] == {"role": "system", "content": "Mine"}


def test_failed_save_is_reported_and_the_session_goes_on() -> None:
    client = make_client()
    client.streams["/api/create"] = [PollamaError("pull model manifest: file does not exist", 500)]
    h = Harness(["/save x", "hi", "/bye"], client).run()
    assert h.stdout.startswith("error: pull model manifest: file does not exist\n")
    assert len(h.chats) == 1  # the session went on


def test_verbose_prints_stats_after_each_answer() -> None:
    h = Harness(["/set verbose", "hi", "/set quiet", "hi", "/bye"]).run()
    assert h.stderr == (
        "eval count:           2 token(s)\n"
        "eval duration:        1s\n"
        "eval rate:            2.00 tokens/s\n"
    )


def test_ctrl_c_during_answer_cancels_that_turn() -> None:
    client = make_client()
    replies = iter(
        [
            [
                {"message": {"role": "assistant", "content": "Part"}, "done": False},
                KeyboardInterrupt(),
            ],
            chat_events("Full answer"),
        ]
    )
    client.streams["/api/chat"] = lambda body: next(replies)
    h = Harness(["first", "second", "/bye"], client).run()
    assert client.closed_streams == 2
    assert h.chats[1]["messages"] == [
        {"role": "user", "content": "first"},
        {"role": "user", "content": "second"},
    ]
    assert h.stdout == "Part\nFull answer\n\n"


def test_thinking_is_shown_and_kept() -> None:
    client = make_client()
    client.streams["/api/chat"] = chat_events("Answer.", thinking=("Let me ", "think."))
    h = Harness(["q", "q2", "/bye"], client).run()
    assert h.stdout.startswith("Thinking...\nLet me think.\n...done thinking.\n\nAnswer.\n\n")
    assert h.chats[1]["messages"][1] == {
        "role": "assistant",
        "content": "Answer.",
        "thinking": "Let me think.",
    }


def test_hidden_thinking_is_not_shown() -> None:
    client = make_client()
    client.streams["/api/chat"] = chat_events("Answer.", thinking=("secret",))
    h = Harness(["q", "/bye"], client, hide_thinking=True).run()
    assert h.stdout == "Answer.\n\n"


def test_thinking_errors_are_reported_and_survived() -> None:
    client = make_client()
    replies = iter([[PollamaError('"gemma3" does not support thinking', 400)], chat_events("ok")])
    client.streams["/api/chat"] = lambda body: next(replies)
    h = Harness(["/set think", "q", "/set nothink", "q", "/bye"], client).run()
    assert 'error: "gemma3" does not support thinking\n' in h.stdout
    assert h.chats[1]["messages"] == [{"role": "user", "content": "q"}]
    assert h.chats[1]["think"] is False


def test_other_chat_errors_end_the_session() -> None:
    client = make_client()
    client.streams["/api/chat"] = [PollamaError("model runner crashed", 500)]
    with pytest.raises(PollamaError, match="crashed"):
        Harness(["q", "/bye"], client).run()


def test_tool_calls_are_printed() -> None:
    client = make_client()
    client.streams["/api/chat"] = [
        {
            "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "function": {
                            "index": 0,
                            "name": "get_weather",
                            "arguments": {"city": "Paris"},
                        }
                    }
                ],
            },
            "done": False,
        },
        {"message": {"role": "assistant", "content": ""}, "done": True},
    ]
    h = Harness(["q", "/bye"], client).run()
    assert (
        "  Model called a non-existent function 'get_weather()' with arguments: "
        '{"city":"Paris"}\n'
    ) in h.stdout


def test_list_command(capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client()
    client.routes[("GET", "/api/tags")] = {"models": []}
    Harness(["/list", "/bye"], client).run()
    assert capsys.readouterr().out.split() == ["NAME", "ID", "SIZE", "MODIFIED"]
