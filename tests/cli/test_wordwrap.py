"""Streaming word wrap, checked on a simulated terminal screen."""

from __future__ import annotations

from pollama.cli.wordwrap import WordWrapper


class Screen:
    """Lines as a terminal would show them: `erase_back` moves left and clears to the end."""

    def __init__(self) -> None:
        self.lines = [""]

    def write(self, text: str) -> None:
        for char in text:
            if char == "\n":
                self.lines.append("")
            else:
                self.lines[-1] += char

    def erase_back(self, cells: int) -> None:
        self.lines[-1] = self.lines[-1][:-cells]


def wrap(chunks: list[str], width: int | None) -> list[str]:
    screen = Screen()
    wrapper = WordWrapper(screen.write, screen.erase_back, width)
    for chunk in chunks:
        wrapper.feed(chunk)
    return screen.lines


TEXT = "The quick brown fox jumps over the lazy dog and keeps running far away."


def test_lines_break_between_words_before_the_margin() -> None:
    lines = wrap([TEXT], 30)
    assert all(len(line) <= 25 for line in lines)
    assert " ".join(line.strip() for line in lines) == TEXT
    assert lines[0] == "The quick brown fox jumps"


def test_token_by_token_equals_all_at_once() -> None:
    tokens = [
        "The",
        " qu",
        "ick",
        " brown",
        " fox",
        " jumps",
        " over",
        " the",
        " lazy",
        " dog",
        " and",
        " keeps",
        " running",
        " far",
        " away.",
    ]
    assert "".join(tokens) == TEXT
    assert wrap(tokens, 30) == wrap([TEXT], 30)
    assert wrap(list(TEXT), 30) == wrap([TEXT], 30)


def test_no_width_means_no_wrap() -> None:
    assert wrap([TEXT], None) == [TEXT]
    assert wrap([TEXT], 9) == [TEXT]


def test_newlines_reset_the_column() -> None:
    lines = wrap(["aaaa bbbb\ncccc dddd eeee ffff"], 20)
    assert [line.rstrip() for line in lines] == ["aaaa bbbb", "cccc dddd eeee", "ffff"]


def test_overlong_word_is_broken() -> None:
    lines = wrap(["x" * 40], 20)
    assert lines == ["x" * 15, "x" * 15, "x" * 10]


def test_wide_characters_count_two_cells() -> None:
    lines = wrap(["漢字" * 10], 20)
    assert all(len(line) * 2 <= 15 for line in lines)
    assert "".join(lines) == "漢字" * 10


def test_reset_forgets_the_line() -> None:
    screen = Screen()
    wrapper = WordWrapper(screen.write, screen.erase_back, 20)
    wrapper.feed("123456789012")
    screen.write("\n")
    wrapper.reset()
    wrapper.feed("abc def ghi jkl")
    assert screen.lines == ["123456789012", "abc def ghi jkl"]
