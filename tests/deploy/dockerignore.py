"""`.dockerignore` matching for the tests, as Docker's build context does it.

Each line is a pattern (`#` lines are comments); `!` lets back in what an earlier pattern left
out; the last pattern that matches decides. A pattern matches a path or any folder above it, so
a left-out folder leaves out all it holds. `*` and `?` stay within one path element, `**` spans
any number of them, and a leading or trailing `/` is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


def _regex(pattern: str) -> re.Pattern[str]:
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
            continue
        if pattern.startswith("**", index):
            out += ".*"
            index += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
        index += 1
    return re.compile(out)


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    lets_in: bool


class DockerIgnore:
    def __init__(self, text: str) -> None:
        self.rules: list[Rule] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            lets_in = line.startswith("!")
            pattern = line[1:].strip() if lets_in else line
            self.rules.append(Rule(_regex(pattern.strip("/")), lets_in))

    @classmethod
    def of(cls, context: Path) -> DockerIgnore:
        path = context / ".dockerignore"
        return cls(path.read_text(encoding="utf-8") if path.exists() else "")

    def excludes(self, relative: str) -> bool:
        """Whether the path (relative to the context, `/`-separated) is left out."""
        parts = relative.strip("/").split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        excluded = False
        for rule in self.rules:
            if any(rule.regex.fullmatch(candidate) for candidate in candidates):
                excluded = not rule.lets_in
        return excluded
