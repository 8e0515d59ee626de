"""Ctrl-G in the REPL: compose the prompt in `$OLLAMA_EDITOR`, `$VISUAL` or `$EDITOR`."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pollama.errors import PollamaError

DEFAULT_EDITOR = "vi"


def editor_command(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    for key in ("OLLAMA_EDITOR", "VISUAL", "EDITOR"):
        if env.get(key, "").strip():
            return shlex.split(env[key])
    return [DEFAULT_EDITOR]


def edit_text(initial: str, env: Mapping[str, str] | None = None) -> str:
    """Open the editor on `initial`; the saved text without trailing newlines."""
    command = editor_command(env)
    if shutil.which(command[0]) is None:
        raise PollamaError(
            f'editor "{command[0]}" not found, set OLLAMA_EDITOR to the path of your preferred '
            "editor"
        )
    fd, name = tempfile.mkstemp(prefix="pollama-prompt-", suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(initial)
        result = subprocess.run([*command, str(path)], check=False)
        if result.returncode != 0:
            raise PollamaError(f"editor exited with error: exit status {result.returncode}")
        return path.read_text(encoding="utf-8").rstrip("\n")
    finally:
        path.unlink(missing_ok=True)
