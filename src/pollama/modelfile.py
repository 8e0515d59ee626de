"""The Modelfile: Ollama's grammar (a rune-level state machine), its meaning, and its rendering.

`parse(text)` gives a `Modelfile` (an ordered list of `Command`s); `Modelfile.to_create_plan`
turns it into what `/api/create` needs (local files, a base model name, template, parameters...);
`render_modelfile` writes the Modelfile `/api/show` and `ollama show --modelfile` print.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from pollama.errors import BadRequest
from pollama.options import DeprecatedParameter, go_value, parse_parameter


class ModelfileError(BadRequest):
    """A Modelfile that does not parse, or that names something that cannot be used."""


# Instruction names (lower-case) other than PARAMETER, whose commands are named by parameter.
INSTRUCTIONS = frozenset(
    {"from", "license", "template", "system", "adapter", "draft", "renderer", "parser"}
    | {"message", "requires"}
)
MESSAGE_ROLES = ("system", "user", "assistant")

INVALID_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "draft", '
    '"renderer", "parser", "parameter", "message", or "requires"'
)
INVALID_ROLE = 'message role must be one of "system", "user", or "assistant"'
NO_FROM = "no FROM line"
UNEXPECTED_EOF = "unexpected EOF"
NO_MODEL_FILES = "no Modelfile or safetensors files found"
INVALID_REQUIRES = "requires must be a valid semver (e.g. 0.14.0)"


@dataclass(frozen=True)
class Command:
    """One instruction. PARAMETER lines are named by the parameter (`temperature`, args `0.7`);
    MESSAGE lines keep Ollama's `role: content` args. `instruction` tells them apart."""

    name: str
    args: str
    line: int = 0
    instruction: str = ""

    def __post_init__(self) -> None:
        if not self.instruction:
            kind = self.name if self.name in INSTRUCTIONS else "parameter"
            object.__setattr__(self, "instruction", kind)

    @property
    def role(self) -> str:
        return self.args.partition(": ")[0]

    @property
    def content(self) -> str:
        return self.args.partition(": ")[2]

    def __str__(self) -> str:
        if self.instruction == "from":
            return f"FROM {self.args}"
        if self.instruction == "message":
            return f"MESSAGE {self.role} {quote_value(self.content)}"
        if self.instruction == "parameter":
            return f"PARAMETER {self.name} {quote_value(self.args)}"
        return f"{self.instruction.upper()} {quote_value(self.args)}"


@dataclass
class CreatePlan:
    """A Modelfile resolved against its directory: what `/api/create` is asked to build."""

    from_model: str | None = None  # a FROM that is not an existing path: a model name
    model_files: list[Path] = field(default_factory=list)
    adapter_files: list[Path] = field(default_factory=list)
    draft_files: list[Path] = field(default_factory=list)
    template: str | None = None
    system: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    licenses: list[str] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    requires: str | None = None
    renderer: str | None = None
    parser: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Modelfile:
    commands: list[Command] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(f"{command}\n" for command in self.commands)

    def to_create_plan(self, base_dir: Path | str) -> CreatePlan:
        """Resolve paths (absolute, `~`, else relative to `base_dir`) and type parameters."""
        plan = CreatePlan()
        local_paths: dict[str, list[Path]] = {"from": [], "draft": []}
        for command in self.commands:
            _apply(plan, command, Path(base_dir), local_paths)
        return plan


def _apply(
    plan: CreatePlan, command: Command, base_dir: Path, local_paths: dict[str, list[Path]]
) -> None:
    kind, args = command.instruction, command.args
    if kind in ("from", "adapter", "draft"):
        path = expand_path(args, base_dir)
        files = _local_files(path)
        if files is None and kind == "from":
            plan.from_model = args
        elif files is None:
            raise ModelfileError(f"stat {path}: no such file or directory")
        elif kind == "adapter":
            plan.adapter_files = files  # as Ollama: the last ADAPTER wins
        else:
            other = "draft" if kind == "from" else "from"
            _reject_same_path(path, local_paths[other])
            local_paths[kind].append(path)
            listed = plan.model_files if kind == "from" else plan.draft_files
            listed.extend(f for f in files if f not in listed)
    elif kind in ("template", "system", "renderer", "parser"):
        setattr(plan, kind, args)
    elif kind == "license":
        plan.licenses.append(args)
    elif kind == "message":
        plan.messages.append({"role": command.role, "content": command.content})
    elif kind == "requires":
        version = args if args.startswith("v") else "v" + args
        if not _SEMVER.fullmatch(version):
            raise ModelfileError(INVALID_REQUIRES)
        plan.requires = version[1:]
    else:
        try:
            value = parse_parameter(command.name, [args])
        except DeprecatedParameter as warning:
            plan.warnings.append(str(warning))
            return
        previous = plan.parameters.get(command.name)
        if isinstance(previous, list) and isinstance(value, list):
            value = previous + value  # stop accumulates; other repeats: last wins
        plan.parameters[command.name] = value


_NUM = r"(?:0|[1-9][0-9]*)"
_PRE = r"(?:[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*|0|[1-9][0-9]*)"
_BUILD = r"[0-9A-Za-z-]+"
# golang.org/x/mod/semver: vMAJOR[.MINOR[.PATCH[-pre][+build]]]
_SEMVER = re.compile(
    rf"v{_NUM}(?:\.{_NUM}(?:\.{_NUM}(?:-{_PRE}(?:\.{_PRE})*)?(?:\+{_BUILD}(?:\.{_BUILD})*)?)?)?",
    re.ASCII,
)


# ---------------------------------------------------------------------------------------------
# Paths


def expand_path(raw: str, base_dir: Path | str) -> Path:
    """Absolute stays; `~` / `~user` is a home directory; anything else is under `base_dir`."""
    if raw.startswith(("/", "\\")) or os.path.isabs(raw):
        joined = raw
    elif raw.startswith("~"):
        if raw == "~" or raw.startswith("~/"):
            home, rest = os.path.expanduser("~"), raw[2:]
        else:
            user, _, rest = raw[1:].partition("/")
            home = _user_home(user)
        joined = home + "/" + rest
    else:
        joined = os.path.join(base_dir, raw)
    return Path(os.path.abspath(joined))


def _user_home(user: str) -> str:
    import pwd  # POSIX only, as `~user` is

    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
        raise ModelfileError(f"failed to find user '{user}': user: unknown user {user}") from None


def _unconvertible(path: Path, kind: str) -> ModelfileError:
    return ModelfileError(f"{path}: {kind} models cannot be converted by pollama; use a GGUF file")


def _local_files(path: Path) -> list[Path] | None:
    """The GGUF file(s) a FROM/ADAPTER path names; None when nothing exists there."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise ModelfileError(f"stat {path}: {reason}") from None
    if not stat.S_ISDIR(mode):
        if path.suffix.lower() == ".safetensors":
            raise _unconvertible(path, "safetensors")
        if path.suffix.lower() in (".pth", ".pt"):
            raise _unconvertible(path, "pytorch")
        return [path]
    return _gguf_files_in(path)


# What Ollama would convert from a directory, which pollama cannot.
_UNCONVERTIBLE_PATTERNS = (
    ("safetensors", ("model*.safetensors", "*/model*.safetensors", "consolidated*.safetensors")),
    ("pytorch", ("pytorch_model*.bin", "consolidated*.pth")),
)


def _gguf_files_in(directory: Path) -> list[Path]:
    """A directory's GGUF files (`*.gguf`, else `*.bin` holding GGUF), symlinks kept inside."""

    def matches(pattern: str) -> list[Path]:
        return sorted(p for p in directory.glob(pattern) if p.is_file())

    files = matches("*.gguf")
    if not files:
        for kind, patterns in _UNCONVERTIBLE_PATTERNS:
            if any(matches(pattern) for pattern in patterns):
                raise _unconvertible(directory, kind)
        bins = matches("*.bin")
        files = bins if bins and all(_is_gguf(b) for b in bins) else []
    if not files:
        raise ModelfileError(NO_MODEL_FILES)
    root = directory.resolve()
    resolved = []
    for file in files:
        target = file.resolve()
        relative = os.path.relpath(target, root)
        if relative == ".." or relative.startswith(("../", "/")):
            hint = ""
            if ".cache" in relative:
                hint = "\n\nUse --local-dir <dir> when downloading model to disable caching"
            raise ModelfileError(f"insecure path: {relative}{hint}")
        resolved.append(target)
    return resolved


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"GGUF"


def _reject_same_path(path: Path, others: list[Path]) -> None:
    """Ollama refuses a DRAFT that is the FROM model itself."""
    for other in others:
        if os.path.samefile(path, other):
            raise ModelfileError(f"DRAFT must not reference the same local path as FROM: {path}")


# ---------------------------------------------------------------------------------------------
# Parsing


_State = Enum("_State", "NIL NAME VALUE PARAMETER MESSAGE COMMENT")
_BLANK = " \t"
_NEWLINE = "\r\n"
_WHITESPACE = " \t\r\n"  # the only whitespace a value buffer can hold (the rest is dropped)
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD = _ALPHA | frozenset("0123456789_")


def _line_error(line: int, message: str) -> ModelfileError:
    return ModelfileError(f"(line {line}): {message}")


def _quote_is_open(buf: list[str]) -> bool:
    """Whether the value so far (blanks trimmed) opens `\"\"\"` or `"` without closing it.

    Checked at every blank inside a value, so it looks only at the ends of the buffer."""
    start = 0
    while start < len(buf) and buf[start] in _WHITESPACE:
        start += 1
    end = len(buf)
    while end > start and buf[end - 1] in _WHITESPACE:
        end -= 1
    if end - start >= 3 and buf[start : start + 3] == ['"'] * 3:
        return not (end - start >= 6 and buf[end - 3 : end] == ['"'] * 3)
    if end > start and buf[start] == '"':
        return not (end - start >= 2 and buf[end - 1] == '"')
    return False


def parse(text: str | bytes) -> Modelfile:
    """Parse a Modelfile as Ollama does; errors are `ModelfileError`s with Ollama's texts.

    Bytes may be UTF-8 (with or without BOM) or UTF-16 with a BOM. Line numbers follow Ollama,
    which counts a line as soon as it reads the newline (so an error found at a line's end names
    the next line) and counts `\\r` and `\\n` separately.
    """
    if isinstance(text, bytes):
        text = _decode(text)
    elif text.startswith("\ufeff"):
        text = text[1:]
    commands = _parse_commands(text)
    if not any(command.instruction == "from" for command in commands):
        raise ModelfileError(NO_FROM)
    return Modelfile(commands)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    return data.decode("utf-8", "replace")


def _parse_commands(text: str) -> list[Command]:
    commands: list[Command] = []
    state = _State.NIL
    line = command_line = 1
    buf: list[str] = []
    name = instruction = role = ""

    for ch in text:
        if ch in _NEWLINE:
            line += 1

        # Which state this rune leads to, and what it adds to the buffer.
        keep = ""
        if state is _State.NIL:
            if ch == "#":
                after = _State.COMMENT
            elif ch in _WHITESPACE:
                after = _State.NIL
            else:
                after, keep, command_line = _State.NAME, ch, line
        elif state is _State.NAME:
            if ch in _ALPHA:
                after, keep = _State.NAME, ch
            elif ch in _BLANK:
                after = _State.VALUE
            else:
                raise _line_error(line, INVALID_COMMAND)
        elif state is _State.VALUE:
            after, keep = (_State.NIL if ch in _WHITESPACE else _State.VALUE), ch
        elif state is _State.PARAMETER or state is _State.MESSAGE:
            allowed = ch in (_WORD if state is _State.PARAMETER else _ALPHA)
            if allowed:
                after, keep = state, ch
            elif ch in _BLANK:
                after = _State.VALUE
            else:
                raise ModelfileError(f"{UNEXPECTED_EOF}: {''.join(buf)}")
        else:
            after = _State.NIL if ch in _NEWLINE else _State.COMMENT

        if after is not state:
            if state is _State.NAME:
                word = "".join(buf).lower()
                if word != "parameter" and word not in INSTRUCTIONS:
                    raise _line_error(line, INVALID_COMMAND)
                instruction = name = word
                if word == "parameter":
                    after = _State.PARAMETER
                elif word == "message":
                    after = _State.MESSAGE
            elif state is _State.PARAMETER:
                name = "".join(buf)
            elif state is _State.MESSAGE:
                role = "".join(buf)
                if role not in MESSAGE_ROLES:
                    raise _line_error(line, INVALID_ROLE)
            elif state is _State.VALUE:
                # A blank, or a newline inside an open quote, belongs to the value.
                if ch in _BLANK or _quote_is_open(buf):
                    buf.append(ch)
                    continue
                commands.append(_command(name, instruction, role, buf, command_line))
                role = ""
            buf.clear()
            state = after

        if keep and keep.isprintable():  # non-printable runes are dropped, as in Ollama
            buf.append(keep)

    if state is _State.VALUE:
        if _quote_is_open(buf):
            raise ModelfileError(UNEXPECTED_EOF)
        commands.append(_command(name, instruction, role, buf, command_line))
    elif state not in (_State.NIL, _State.COMMENT):
        raise ModelfileError(UNEXPECTED_EOF)
    return commands


def _command(name: str, instruction: str, role: str, buf: list[str], line: int) -> Command:
    value = "".join(buf).strip(_WHITESPACE)  # a closed quote: strip it
    quotes = 3 if value.startswith('"""') else 1 if value.startswith('"') else 0
    value = value[quotes : len(value) - quotes]
    if role:
        value = f"{role}: {value}"
    return Command(name, value, line, instruction)


# ---------------------------------------------------------------------------------------------
# Rendering


def quote_value(value: str) -> str:
    """Ollama's quoting: values with a newline or an outer space get quotes, others none.

    pollama also quotes the few values Ollama writes bare but cannot read back: one holding a
    carriage return, starting with a quote, or with an outer tab."""
    outer = value[:1] + value[-1:]
    if "\n" in value or "\r" in value or " " in outer or "\t" in outer or value[:1] == '"':
        return f'"""{value}"""' if '"' in value else f'"{value}"'
    return value


def render_modelfile(
    *,
    display_name: str,
    model_paths: list[str],
    adapter_paths: list[str],
    projector_paths: list[str],
    template: str | None,
    system: str | None,
    parameters: Mapping[str, Any],
    licenses: list[str],
    messages: Sequence[Mapping[str, Any]],
) -> str:
    """The Modelfile `/api/show` returns. As in Ollama, a value with an inner line ending in
    `\"\"\"` does not survive a re-parse (there are no escapes)."""
    commands = [Command("from", path) for path in model_paths]
    commands += [Command("adapter", path) for path in adapter_paths]
    commands += [Command("from", path) for path in projector_paths]
    if template is not None:
        commands.append(Command("template", template))
    if system:
        commands.append(Command("system", system))
    for key, value in parameters.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            commands.append(Command(key, go_value(item), instruction="parameter"))
    commands += [Command("license", text) for text in licenses]
    for message in messages:
        args = f"{message.get('role', '')}: {message.get('content') or ''}"
        commands.append(Command("message", args))
    header = f'# Modelfile generated by "ollama show"\n{_SHOW_HINT}\n# FROM {display_name}\n\n'
    return header + str(Modelfile(commands))


_SHOW_HINT = "# To build a new Modelfile based on this, replace FROM with:"
