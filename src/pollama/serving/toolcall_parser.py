"""Streaming split of model output into content and tool calls, after the tag the
template shows (Ollama's tools/tools.go, Parser).

After the tag the output is read one top-level JSON object at a time. An object is a call when a
provided tool name appears in it or in the text just before it; unknown names are never emitted.
"""

from __future__ import annotations

import json
import secrets
import string
from enum import Enum, auto
from typing import Any

from pollama.serving.thinking_parser import partial_tag_length

BRACKET_TAGS = ("{", "[")
_ID_ALPHABET = string.ascii_lowercase + string.digits
_SEPARATOR_CHARS = set(",;[]")


def new_call_id() -> str:
    return "call_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


class _ObjectScanner:
    """Finds complete top-level JSON objects in a growing text, reading each character once."""

    def __init__(self) -> None:
        self.text = ""
        self._pos = 0
        self._depth = 0
        self._start = 0
        self._in_string = False
        self._escaped = False

    def add(self, text: str) -> None:
        self.text += text

    def next_object(self) -> tuple[int, int] | None:
        """(start, end) of the next complete object, or None until more text arrives."""
        text = self.text
        for i in range(self._pos, len(text)):
            char = text[i]
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == "{":
                if self._depth == 0:
                    self._start = i
                self._depth += 1
            elif self._depth == 0:
                continue  # text between objects: quotes there are not JSON strings
            elif char == '"':
                self._in_string = True
            elif char == "}":
                self._depth -= 1
                if self._depth == 0:
                    self._pos = i + 1
                    return self._start, i + 1
        self._pos = len(text)
        return None


def _earliest_name(text: str, names: list[str]) -> tuple[int, str] | None:
    """The first tool name in `text` (ties: the longest) and where it starts."""
    best: tuple[int, str] | None = None
    for name in names:
        index = text.find(name)
        if index < 0:
            continue
        if best is None or index < best[0] or (index == best[0] and len(name) > len(best[1])):
            best = (index, name)
    return best


def _object_or_none(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    for key in ("arguments", "parameters"):
        found = _object_or_none(call.get(key))
        if found is not None:
            return found
    return {key: value for key, value in call.items() if key != "name"}


def _find_call(obj: dict[str, Any], scanned: str, known: set[str]) -> tuple[str, dict] | None:
    """Depth first: an object naming a known tool, or `{"<scanned>": {...}}`."""
    name = obj.get("name")
    if isinstance(name, str) and name in known:
        return name, _arguments(obj)
    keyed = obj.get(scanned)
    if isinstance(keyed, dict):
        return scanned, keyed
    for value in obj.values():
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict) and (found := _find_call(child, scanned, known)):
                return found
    return None


def _resolve_call(
    obj: dict[str, Any], scanned: str, known: set[str], *, name_before: bool
) -> tuple[str, dict] | None:
    found = _find_call(obj, scanned, known)
    if found is not None:
        return found
    if not name_before and isinstance(obj.get("name"), str):
        return None  # the object names a tool we were not given
    return scanned, obj  # e.g. `get_weather {"city": "Paris"}`: the object is the arguments


def _closing_tag(tag: str) -> str | None:
    if tag.startswith("<") and not tag.startswith("</") and tag.endswith(">"):
        return "</" + tag[1:]
    return None


class _State(Enum):
    LOOKING = auto()  # before the tag: content is released, a possible partial tag is held
    CALLING = auto()  # after the tag: reading calls
    PASSTHROUGH = auto()  # no (more) tool parsing: everything is content


class ToolCallParser:
    """Splits streamed output into (content, tool calls) for a template's tool-call tag."""

    def __init__(self, tag: str, tool_names: list[str]) -> None:
        self.tag = tag
        self._names = [name for name in dict.fromkeys(tool_names) if name]
        self._known = set(self._names)
        self._bracket_tag = tag in BRACKET_TAGS
        usable = bool(tag and self._names)
        self._state = _State.LOOKING if usable else _State.PASSTHROUGH
        self._pending = ""  # LOOKING: text held because it may begin the tag
        self._prefix = ""  # original text before the region: the tag, or leading whitespace
        self._region = _ObjectScanner()  # everything after the tag (bracket tags: from the tag)
        self._cursor = 0  # region text before this offset became a call or was skipped
        self._skipped: list[str] = []
        self._count = 0

    def feed(self, text: str) -> tuple[str, list[dict]]:
        """Add a chunk; return (content releasable now, calls completed now)."""
        if self._state is _State.PASSTHROUGH:
            return text, []
        content = ""
        if self._state is _State.LOOKING:
            content, text = self._look_for_tag(text)
            if self._state is not _State.CALLING:
                return content, []
        self._region.add(text)
        calls = self._parse_calls()
        if self._state is _State.PASSTHROUGH:
            content += self._release_region()
        return content, calls

    def finish(self) -> tuple[str, list[dict]]:
        """End of stream: remaining calls, and held text that never became a call as content."""
        if self._state is _State.LOOKING:
            pending, self._pending = self._pending, ""
            self._state = _State.PASSTHROUGH
            return pending, []
        if self._state is _State.PASSTHROUGH:
            return "", []
        calls = self._parse_calls()
        if self._state is _State.PASSTHROUGH or self._count == 0:
            content = self._release_region()
        else:
            content = self._leftover()
        self._state = _State.PASSTHROUGH
        return content, calls

    def _look_for_tag(self, text: str) -> tuple[str, str]:
        """(content before the tag, text after it); switches to CALLING once the tag is seen."""
        pending = self._pending + text
        self._pending = ""
        if self._bracket_tag:
            stripped = pending.lstrip()
            if not stripped:
                self._pending = pending
                return "", ""
            if not stripped.startswith(self.tag):  # JSON calls must open the output
                self._state = _State.PASSTHROUGH
                return pending, ""
            self._prefix = pending[: len(pending) - len(stripped)]
            self._state = _State.CALLING
            return "", stripped  # the bracket is part of the JSON
        index = pending.find(self.tag)
        if index >= 0:
            self._prefix = self.tag
            self._state = _State.CALLING
            return pending[:index], pending[index + len(self.tag) :]
        keep = partial_tag_length(pending, self.tag)
        self._pending = pending[len(pending) - keep :]
        return pending[: len(pending) - keep], ""

    def _parse_calls(self) -> list[dict]:
        calls: list[dict] = []
        while (span := self._region.next_object()) is not None:
            start, end = span
            call = self._call_in(start, end)
            if call is None and self._bracket_tag and self._count == 0:
                self._state = _State.PASSTHROUGH  # plain JSON output, not a tool call
                return calls
            if call is None:
                self._skipped.append(self._region.text[self._cursor : end])
            else:
                calls.append(call)
            self._cursor = end
        return calls

    def _call_in(self, start: int, end: int) -> dict | None:
        """The call made by the object at [start, end), with the text since the last call."""
        text = self._region.text
        found = _earliest_name(text[self._cursor : end], self._names)
        if found is None:
            return None
        offset, scanned = found
        try:
            obj = json.loads(text[start:end], strict=False)
        except ValueError:
            return None
        name_before = self._cursor + offset < start
        resolved = _resolve_call(obj, scanned, self._known, name_before=name_before)
        if resolved is None:
            return None
        name, arguments = resolved
        call = {
            "id": new_call_id(),
            "function": {"index": self._count, "name": name, "arguments": arguments},
        }
        self._count += 1
        return call

    def _release_region(self) -> str:
        """All original text from the tag on, as content."""
        released = self._prefix + self._region.text
        self._prefix = ""
        self._region = _ObjectScanner()
        self._cursor = 0
        self._skipped.clear()
        return released

    def _leftover(self) -> str:
        """Text after calls that is more than closing tags and separators."""
        text = "".join(self._skipped) + self._region.text[self._cursor :]
        if not self._bracket_tag:
            for tag in (self.tag, _closing_tag(self.tag)):
                if tag:
                    text = text.replace(tag, "")
        text = text.strip()
        if all(char in _SEPARATOR_CHARS or char.isspace() for char in text):
            return ""
        return text
