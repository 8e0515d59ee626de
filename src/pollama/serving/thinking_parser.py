"""Streaming split of model output into thinking and content by tags
(Ollama's thinking/parser.go)."""

from __future__ import annotations

from enum import Enum, auto


class _State(Enum):
    LOOKING_FOR_OPENING = auto()  # only whitespace (or part of the opening tag) seen so far
    AFTER_OPENING = auto()  # eating whitespace right after the opening tag
    THINKING = auto()
    AFTER_CLOSING = auto()  # eating whitespace right after the closing tag
    CONTENT = auto()  # everything from here on is content


def partial_tag_length(text: str, tag: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `tag`."""
    for length in range(min(len(text), len(tag) - 1), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0


class ThinkingParser:
    """Splits streamed output into (thinking, content).

    `inside=True` means the rendered prompt already ended with the opening tag.
    """

    def __init__(self, opening: str, closing: str, *, inside: bool = False) -> None:
        self.opening = opening
        self.closing = closing
        self._state = _State.AFTER_OPENING if inside else _State.LOOKING_FOR_OPENING
        self._held = ""

    def feed(self, text: str) -> tuple[str, str]:
        """Add a chunk; return the (thinking, content) that can be released now."""
        self._held += text
        thinking: list[str] = []
        content: list[str] = []
        while self._step(thinking, content):
            pass
        return "".join(thinking), "".join(content)

    def finish(self) -> tuple[str, str]:
        """End of stream: release whatever is held as what it would have been."""
        thinking, content = self.feed("")
        held, self._held = self._held, ""
        if self._state is _State.THINKING:
            thinking += held
        else:
            content += held
        return thinking, content

    def _step(self, thinking: list[str], content: list[str]) -> bool:
        """Advance the state machine once; False when it needs more text."""
        held = self._held
        if self._state is _State.LOOKING_FOR_OPENING:
            stripped = held.lstrip()
            if stripped.startswith(self.opening):
                self._held = stripped[len(self.opening) :]
                self._state = _State.AFTER_OPENING
                return True
            if self.opening.startswith(stripped):  # whitespace, or the tag's beginning
                return False
            # No thinking: the original text (leading whitespace included) is content.
            self._state = _State.CONTENT
            return True
        if self._state in (_State.AFTER_OPENING, _State.AFTER_CLOSING):
            self._held = held.lstrip()
            if not self._held:
                return False
            after_opening = self._state is _State.AFTER_OPENING
            self._state = _State.THINKING if after_opening else _State.CONTENT
            return True
        if self._state is _State.THINKING:
            index = held.find(self.closing)
            if index >= 0:
                thinking.append(held[:index])
                self._held = held[index + len(self.closing) :]
                self._state = _State.AFTER_CLOSING
                return True
            keep = partial_tag_length(held, self.closing)
            thinking.append(held[: len(held) - keep])
            self._held = held[len(held) - keep :]
            return False
        content.append(held)
        self._held = ""
        return False
