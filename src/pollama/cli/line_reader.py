"""Where the REPL's lines come from: GNU readline on a terminal, any scripted source in tests.

History lives in `~/.ollama/history` (shared with Ollama). With `OLLAMA_NOHISTORY` (or after
`/set nohistory`) lines are neither remembered nor written.

Ctrl-G opens an editor on the line typed so far. Readline cannot call Python from a key, so the
key is bound to a macro that appends a marker and accepts the line; the reader sees the marker,
runs the editor, and offers the edited text as the next line to send or change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pollama.cli.editor import edit_text
from pollama.errors import PollamaError

HISTORY_LIMIT = 1000
EDIT_MARKER = " [[pollama:edit]]"
_EDIT_BINDING = '"\\C-g": "\\C-e' + EDIT_MARKER + '\\n"'


class Interrupted(Exception):
    """Ctrl-C at the prompt; `line` is what had been typed so far (best effort)."""

    def __init__(self, line: str = "") -> None:
        super().__init__(line)
        self.line = line


class LineReader(Protocol):
    def read_line(self, prompt: str) -> str:
        """The next line, without its newline. Ctrl-D: `EOFError`; Ctrl-C: `Interrupted`."""
        ...

    def set_history(self, enabled: bool) -> None: ...


class ReadlineReader:
    """`input()` with GNU readline: line editing, Ollama's key bindings, persistent history."""

    def __init__(
        self,
        history_path: Path | None,
        history_enabled: bool = True,
        on_error: Callable[[str], None] = print,
    ) -> None:
        import readline

        self._readline = readline
        self._history_path = history_path
        self._history_enabled = history_enabled
        self._on_error = on_error
        self._prefill = ""
        readline.set_auto_history(False)
        readline.parse_and_bind(_EDIT_BINDING)
        readline.set_history_length(HISTORY_LIMIT)
        if history_path is not None and history_path.is_file():
            try:
                readline.read_history_file(str(history_path))
            except OSError:
                pass

    def set_history(self, enabled: bool) -> None:
        self._history_enabled = enabled

    def read_line(self, prompt: str) -> str:
        while True:
            line = self._input(prompt)
            if not line.endswith(EDIT_MARKER):
                break
            try:
                self._prefill = edit_text(line[: -len(EDIT_MARKER)])
            except PollamaError as exc:
                self._on_error(f"error: {exc.message}")
        if self._history_enabled and line.strip():
            self._remember(line)
        return line

    def _input(self, prompt: str) -> str:
        readline = self._readline
        prefill, self._prefill = self._prefill, ""
        if prefill.strip():
            readline.set_startup_hook(lambda: readline.insert_text(prefill))
        try:
            return input(prompt)
        except KeyboardInterrupt:
            raise Interrupted(readline.get_line_buffer()) from None
        finally:
            readline.set_startup_hook(None)

    def _remember(self, line: str) -> None:
        readline = self._readline
        length = readline.get_current_history_length()
        if length == 0 or readline.get_history_item(length) != line:
            readline.add_history(line)
        if self._history_path is None:
            return
        try:
            self._history_path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(str(self._history_path))
        except OSError:
            pass  # an unwritable history file must not end the session
