"""Word wrap for text that arrives a few characters at a time.

Tokens are shown the moment they arrive, so a word is already on screen when it turns out not
to fit. Like Ollama, the wrapper then moves the cursor back over the partial word, erases it, and
writes it again on a new line. Lines end 5 columns before the terminal's edge; a word too long to
move (wider than the line minus 5) is simply broken.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len

MARGIN = 5  # columns kept free at the right edge
MIN_WIDTH = 10  # narrower terminals are not wrapped at all


class WordWrapper:
    """Feeds text to `write`, inserting line breaks; `erase_back(n)` deletes the last n cells.

    `width` None (or under MIN_WIDTH) disables wrapping: text passes through unchanged.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        erase_back: Callable[[int], None],
        width: int | None,
    ) -> None:
        self._write = write
        self._erase_back = erase_back
        self._limit = width - MARGIN if width is not None and width >= MIN_WIDTH else None
        self._column = 0
        self._word = ""

    def reset(self) -> None:
        """Forget the current line (after something else wrote a newline)."""
        self._column = 0
        self._word = ""

    def feed(self, text: str) -> None:
        limit = self._limit
        if limit is None:
            self._write(text)
            return
        pending: list[str] = []
        for char in text:
            if char in "\n\r":
                pending.append(char)
                self.reset()
                continue
            width = cell_len(char)
            if self._column + width > limit:
                self._flush(pending)
                self._break_line(char, limit)
                if char in " \t":
                    continue  # the break replaces the space
            pending.append(char)
            self._column += width
            if char in " \t" or width >= 2:
                self._word = ""  # wide (CJK) characters may break anywhere
            else:
                self._word += char
        self._flush(pending)

    def _break_line(self, char: str, limit: int) -> None:
        word_width = cell_len(self._word)
        if self._word and char not in " \t" and word_width <= limit - MARGIN:
            self._erase_back(word_width)
            self._write("\n" + self._word)
            self._column = word_width
        else:
            self._write("\n")
            self._column = 0
            self._word = ""

    def _flush(self, pending: list[str]) -> None:
        if pending:
            self._write("".join(pending))
            pending.clear()
