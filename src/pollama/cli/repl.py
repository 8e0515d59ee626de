"""The interactive `pollama run` loop: prompts, `\"\"\"` blocks, slash commands, chat turns.

The line source and the HTTP client are passed in, so tests drive the loop with a list of lines
and a fake client. Each call of `feed` handles one line exactly as Ollama's loop does.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from rich.console import Console

from pollama.cli import repl_commands as commands
from pollama.cli import repl_help
from pollama.cli.api_client import ApiClient
from pollama.cli.console import console, err_console
from pollama.cli.conversation import chat
from pollama.cli.images import extract_images, find_image_paths
from pollama.cli.line_reader import Interrupted, LineReader
from pollama.cli.repl_commands import Session
from pollama.cli.run_options import RunOptions
from pollama.errors import PollamaError

PROMPT = ">>> "
ALT_PROMPT = "... "
FENCE = '"""'
EXIT_HINT = "\nUse Ctrl + d or /bye to exit."

# Errors a turn survives: the user can change the setting and go on.
_RECOVERABLE = ("does not support thinking", "invalid think value")

Handler = Callable[[Session, list[str]], None]

# Matched by prefix, in this order, as Ollama does (`/set` before `/show`, `/bye` last).
_COMMANDS: list[tuple[tuple[str, ...], Handler]] = [
    (("/list",), commands.command_list),
    (("/load",), commands.command_load),
    (("/save",), commands.command_save),
    (("/clear",), commands.command_clear),
    (("/set",), commands.command_set),
    (("/show",), commands.command_show),
    (("/help", "/?"), commands.command_help),
]


class Multiline(Enum):
    NONE = "none"
    PROMPT = "prompt"
    SYSTEM = "system"


class Repl:
    def __init__(
        self,
        opts: RunOptions,
        client: ApiClient,
        reader: LineReader,
        out: Console | None = None,
        err: Console | None = None,
    ) -> None:
        self.session = Session(opts, client, reader, out or console, err or err_console)
        self._text = ""  # the message being assembled
        self._multiline = Multiline.NONE

    @property
    def opts(self) -> RunOptions:
        return self.session.opts  # `/load` may replace it

    @property
    def prompt(self) -> str:
        return ALT_PROMPT if self._multiline is not Multiline.NONE else PROMPT

    def run(self) -> None:
        """Read and handle lines until Ctrl-D, `/bye` or `/exit`."""
        while True:
            try:
                line = self.session.reader.read_line(self.prompt)
            except EOFError:
                self.session.say("")
                return
            except Interrupted as interrupted:
                # Off the abandoned prompt line; on an empty one, say how to leave.
                self.session.say(EXIT_HINT if not interrupted.line else "")
                self._text = ""
                self._multiline = Multiline.NONE
                continue
            if not self.feed(line):
                return

    def feed(self, line: str) -> bool:
        """Handle one line; False when the session should end."""
        if self._multiline is not Multiline.NONE:
            self._continue_block(line)
        elif line.startswith(FENCE):
            body = line[len(FENCE) :]
            ended = body.endswith(FENCE)
            self._text += body[: -len(FENCE)] if ended else body + "\n"
            if not ended:
                self._multiline = Multiline.PROMPT
        elif line.startswith(("/exit", "/bye")):
            return False
        elif line.startswith("/set") and line.split()[1:2] == ["system"]:
            self._set_system(line)
        elif line.startswith("/"):
            if not self._run_command(line):
                self._text += line  # an image path typed for a vision model
        else:
            self._text += line
        if self._text and self._multiline is Multiline.NONE:
            self._send()
        return True

    def _continue_block(self, line: str) -> None:
        ended = line.endswith(FENCE)
        self._text += line[: -len(FENCE)] if ended else line + "\n"
        if not ended:
            return
        if self._multiline is Multiline.SYSTEM:
            commands.set_system(self.session, self._text)
            self._text = ""
        self._multiline = Multiline.NONE

    def _set_system(self, line: str) -> None:
        args = line.split()
        if len(args) < 3:
            self.session.help(repl_help.USAGE_SET)
            return
        text = " ".join(args[2:])
        if not text.startswith(FENCE):
            commands.set_system(self.session, text)
            return
        text = text[len(FENCE) :]
        if text.endswith(FENCE):
            commands.set_system(self.session, text[: -len(FENCE)])
            return
        self._text = text + "\n"
        self._multiline = Multiline.SYSTEM

    def _run_command(self, line: str) -> bool:
        """Run a slash command; False when the line is an image path, not a command."""
        args = line.split()
        for prefixes, handler in _COMMANDS:
            if line.startswith(prefixes):
                handler(self.session, args)
                return True
        if self.opts.multimodal and any(p.startswith(args[0]) for p in find_image_paths(line)):
            return False
        self.session.say(f"Unknown command '{args[0]}'. Type /? for help")
        return True

    def _send(self) -> None:
        opts = self.opts
        message: dict[str, Any] = {"role": "user", "content": self._text}
        self._text = ""
        if opts.multimodal:
            content, images = extract_images(str(message["content"]), self.session.err)
            message["content"] = content
            if images:
                message["images"] = images
        opts.messages.append(message)
        try:
            reply = chat(self.session.client, opts, self.session.out, self.session.err)
        except PollamaError as exc:
            if not any(text in exc.message for text in _RECOVERABLE):
                raise
            opts.messages.pop()
            self.session.say(f"error: {exc.message}")
            return
        if reply is not None:
            opts.messages.append(reply)
