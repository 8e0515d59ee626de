"""The readline-backed reader: history file, `/set nohistory`, Ctrl-C and Ctrl-D."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Any

import pytest

from pollama.cli.editor import editor_command
from pollama.cli.line_reader import EDIT_MARKER, Interrupted, ReadlineReader


def feed(monkeypatch: pytest.MonkeyPatch, *answers: str | BaseException) -> list[str]:
    prompts: list[str] = []
    queue = list(answers)

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    monkeypatch.setattr(builtins, "input", fake_input)
    return prompts


def test_history_is_written_unless_disabled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    history = tmp_path / ".ollama" / "history"
    prompts = feed(monkeypatch, "first", "", "second", "secret", "third")
    reader = ReadlineReader(history)
    assert reader.read_line(">>> ") == "first"
    assert reader.read_line(">>> ") == ""
    assert reader.read_line("... ") == "second"
    reader.set_history(False)
    assert reader.read_line(">>> ") == "secret"
    reader.set_history(True)
    assert reader.read_line(">>> ") == "third"
    assert prompts == [">>> ", ">>> ", "... ", ">>> ", ">>> "]
    lines = history.read_text().split()
    assert lines[-3:] == ["first", "second", "third"]
    assert "secret" not in lines


def test_nohistory_writes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    history = tmp_path / "history"
    feed(monkeypatch, "hello")
    ReadlineReader(history, history_enabled=False).read_line(">>> ")
    assert not history.exists()


def test_ctrl_c_and_ctrl_d(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    feed(monkeypatch, KeyboardInterrupt(), EOFError())
    reader = ReadlineReader(tmp_path / "history")
    with pytest.raises(Interrupted) as caught:
        reader.read_line(">>> ")
    assert caught.value.line == ""
    with pytest.raises(EOFError):
        reader.read_line(">>> ")


def test_ctrl_g_edits_the_line_then_offers_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "editor.py"
    script.write_text("import sys\np = sys.argv[1]\nopen(p, 'a').write(' and more\\n\\n')\n")
    monkeypatch.setenv("OLLAMA_EDITOR", f"{sys.executable} {script}")
    prompts = feed(monkeypatch, "draft" + EDIT_MARKER, "draft and more")
    prefills: list[str] = []
    reader = ReadlineReader(None)
    monkeypatch.setattr(reader, "_input", _recording_input(reader, prefills))
    assert reader.read_line(">>> ") == "draft and more"
    assert prefills == ["", "draft and more"]
    assert prompts == [">>> ", ">>> "]


def _recording_input(reader: ReadlineReader, prefills: list[str]) -> Any:
    original = reader._input

    def record(prompt: str) -> str:
        prefills.append(reader._prefill)
        return original(prompt)

    return record


def test_editor_errors_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_EDITOR", "/no/such/editor --wait")
    feed(monkeypatch, "x" + EDIT_MARKER, "typed")
    errors: list[str] = []
    assert ReadlineReader(None, on_error=errors.append).read_line(">>> ") == "typed"
    assert errors == [
        'error: editor "/no/such/editor" not found, set OLLAMA_EDITOR to the path '
        "of your preferred editor"
    ]


def test_editor_choice() -> None:
    assert editor_command({"EDITOR": "nano", "VISUAL": "code --wait"}) == ["code", "--wait"]
    assert editor_command({"OLLAMA_EDITOR": "hx", "EDITOR": "nano"}) == ["hx"]
    assert editor_command({}) == ["vi"]
