"""The click wiring of `run`, `ps`, `stop` and `rm` (no server: the client is faked)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from pollama.cli import main, run_cmd
from pollama.errors import PollamaError
from tests.cli.fakes import FakeClient


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    client = FakeClient()
    monkeypatch.setattr(main, "_client", lambda: client)
    return client


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch, fake: FakeClient) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(run_cmd, "run", lambda *args, **kw: calls.append(args))
    return calls


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main.cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "think", "prompt"),
    [
        (["m"], None, ()),
        (["m", "--think"], "true", ()),
        (["m", "--think=low"], "low", ()),
        (["m", "--think", "a prompt"], "true", ("a prompt",)),
        (["m", "hello", "--think=false"], "false", ("hello",)),
        (["m", "--", "--think=x"], None, ("--think=x",)),
    ],
)
def test_run_think_flag(
    runs: list[tuple[Any, ...]], args: list[str], think: str | None, prompt: tuple[str, ...]
) -> None:
    result = invoke("run", *args)
    assert result.exit_code == 0, result.output
    _, model, got_prompt, flags = runs[0]
    assert (model, got_prompt, flags.think) == ("m", prompt, think)


def test_run_flags(runs: list[tuple[Any, ...]]) -> None:
    result = invoke(
        "run",
        "m",
        "--keepalive",
        "5m",
        "--verbose",
        "--format",
        "json",
        "--nowordwrap",
        "--hidethinking",
        "--insecure",
        "hi",
        "there",
    )
    assert result.exit_code == 0, result.output
    _, _, prompt, flags = runs[0]
    assert prompt == ("hi", "there")
    assert flags == run_cmd.RunFlags(
        keepalive="5m",
        verbose=True,
        format="json",
        nowordwrap=True,
        think=None,
        hidethinking=True,
        insecure=True,
    )


def test_run_help_lists_run_variables() -> None:
    result = invoke("run", "--help")
    assert "OLLAMA_NOHISTORY" in result.output and "OLLAMA_HOST" in result.output
    assert "--think-level" not in result.output


def test_ps_and_stop(fake: FakeClient) -> None:
    fake.routes[("GET", "/api/ps")] = {"models": []}
    fake.routes[("POST", "/api/generate")] = {"done": True, "done_reason": "unload"}
    assert invoke("ps").output.split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert invoke("stop", "gemma3").output == ""
    assert fake.calls[-1] == ("POST", "/api/generate", {"model": "gemma3", "keep_alive": 0})


def test_rm_unloads_first(fake: FakeClient) -> None:
    fake.routes[("POST", "/api/generate")] = PollamaError("runner is gone", 500)
    fake.routes[("DELETE", "/api/delete")] = {}
    result = CliRunner().invoke(main.cli, ["rm", "a", "b"])
    assert result.exit_code == 0
    assert [call[:2] for call in fake.calls] == [
        ("POST", "/api/generate"),
        ("DELETE", "/api/delete"),
        ("POST", "/api/generate"),
        ("DELETE", "/api/delete"),
    ]
    assert "deleted 'a'" in result.stdout and "deleted 'b'" in result.stdout
    assert "Warning: unable to stop model 'a'" in result.stderr


@pytest.mark.parametrize("args", [[], ["help"], ["--help"]])
def test_no_arguments_and_help_print_the_help(args: list[str]) -> None:
    result = CliRunner().invoke(main.cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    for command in ("serve", "create", "show", "run", "help"):
        assert f"\n  {command} " in result.stdout


def test_help_of_a_command() -> None:
    result = CliRunner().invoke(main.cli, ["help", "run"])
    assert result.exit_code == 0, result.output
    assert "run [OPTIONS] MODEL [PROMPT]..." in result.stdout
    assert "--keepalive" in result.stdout and "OLLAMA_NOHISTORY" in result.stdout


def test_help_of_an_unknown_topic() -> None:
    result = CliRunner().invoke(main.cli, ["help", "nosuch"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Unknown help topic [`nosuch`]\nUsage: ")


def test_main_with_no_arguments_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["pollama"])
    with pytest.raises(SystemExit) as exited:
        main.main()
        raise SystemExit(0)  # main() returning normally is exit status 0
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("Usage: ")


def test_show_verbose_prints_model_data_verbatim(fake: FakeClient) -> None:
    tokens = ["[/INST]", *(f"t{i}" for i in range(262_143))]
    fake.routes[("POST", "/api/show")] = {
        "details": {},
        "model_info": {"general.architecture": "gemma3", "tokenizer.ggml.tokens": tokens},
        "license": "[bold]not markup[/bold]",
    }
    result = invoke("show", "m", "-v")
    assert result.exit_code == 0
    assert "[/INST] ...+262143 more]" in result.stdout
    assert "[bold]not markup[/bold]" in result.stdout
    assert fake.bodies("/api/show") == [{"model": "m", "verbose": True}]
