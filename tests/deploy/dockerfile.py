"""A small Dockerfile reader for the tests: instructions, stages, continuation lines.

Docker's rules as far as this project's Dockerfile needs them: `#` lines are comments (also
inside a continued instruction), a line ending in `\\` continues on the next one, keywords are
case-insensitive, `FROM image [AS name]` starts a stage, exec form is a JSON array, and `ENV`
takes `key=value` pairs (shell-quoted) or the old `ENV key value`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    arguments: str  # continuation lines joined, flags included
    line: int  # where it starts, 1-based

    @property
    def flags(self) -> dict[str, str]:
        """Leading `--name=value` options (`COPY --from=build`, `HEALTHCHECK --interval=30s`);
        a flag given twice (`RUN --mount=... --mount=...`) keeps its last value."""
        return dict(_split_flags(self.arguments)[0])

    @property
    def flag_list(self) -> list[tuple[str, str]]:
        return _split_flags(self.arguments)[0]

    @property
    def body(self) -> str:
        """The arguments after the flags."""
        return _split_flags(self.arguments)[1]

    def command(self) -> list[str]:
        """Exec form (a JSON array) as is; shell form as `/bin/sh -c TEXT`."""
        return command_of(self.body)


def command_of(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
    return ["/bin/sh", "-c", text]


def _split_flags(arguments: str) -> tuple[list[tuple[str, str]], str]:
    flags: list[tuple[str, str]] = []
    rest = arguments.strip()
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, _, value = word[2:].partition("=")
        flags.append((name, value))
        rest = rest.strip()
    return flags, rest


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """Every `ENV` of the stage, later ones winning."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            values.update(parse_env(instruction.arguments))
        return values

    def exposed(self) -> set[str]:
        return {port.split("/")[0] for i in self.all("EXPOSE") for port in i.arguments.split()}

    def volumes(self) -> list[str]:
        found: list[str] = []
        for instruction in self.all("VOLUME"):
            text = instruction.arguments.strip()
            found += json.loads(text) if text.startswith("[") else text.split()
        return found

    def runtime_command(self) -> list[str]:
        """What `docker run IMAGE` executes: ENTRYPOINT (exec form) followed by CMD."""
        entrypoint, cmd = self.last("ENTRYPOINT"), self.last("CMD")
        return (entrypoint.command() if entrypoint else []) + (cmd.command() if cmd else [])


def parse_env(arguments: str) -> dict[str, str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:  # ENV key value (the old form: the rest is the value)
        key, _, value = arguments.strip().partition(" ")
        return {key: value.strip()}
    return dict(word.split("=", 1) for word in words)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each instruction, continuations joined."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):  # Docker skips both, even mid-instruction
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        lines.append((start, " ".join(part for part in pending if part)))
        pending = []
    if pending:
        lines.append((start, " ".join(part for part in pending if part)))
    return lines


def parse(text: str) -> list[Stage]:
    """The stages in order (instructions before the first FROM, global ARGs, are dropped)."""
    stages: list[Stage] = []
    for number, line in logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip(), number)
        if instruction.keyword == "FROM":
            words = instruction.body.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def parse_file(path: Path) -> list[Stage]:
    return parse(path.read_text(encoding="utf-8"))
