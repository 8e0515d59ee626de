"""ThinkingParser: recorded-looking outputs fed whole, by char and in random splits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pollama.serving.thinking_parser import ThinkingParser, partial_tag_length
from tests.serving.chunking import SPLITTER_IDS, SPLITTERS, Splitter

THINK = ("<think>", "</think>")

# (name, tags, inside, output, expected thinking, expected content)
CASES = [
    (
        "qwen3-style",
        THINK,
        False,
        "<think>\nThe user greets me. I should greet back.\n</think>\n\nHello! How can I help?",
        "The user greets me. I should greet back.\n",
        "Hello! How can I help?",
    ),
    (
        "whitespace-before-opening-eaten",
        THINK,
        False,
        "\n  <think>Plan: add 2 and 2.</think>It is 4.",
        "Plan: add 2 and 2.",
        "It is 4.",
    ),
    (
        "no-thinking-keeps-original-text",
        THINK,
        False,
        "  Just an answer,\nno thinking.",
        "",
        "  Just an answer,\nno thinking.",
    ),
    (
        "opening-not-first-is-content",
        THINK,
        False,
        "Answer first <think>not thinking</think> tail",
        "",
        "Answer first <think>not thinking</think> tail",
    ),
    (
        "prompt-ended-with-opening",
        THINK,
        True,
        "\n\nLet me think: 6 * 7.</think>\n\nThe answer is 42.",
        "Let me think: 6 * 7.",
        "The answer is 42.",
    ),
    (
        "empty-thinking",
        THINK,
        False,
        "<think>\n\n</think>\n\nHi there.",
        "",
        "Hi there.",
    ),
    (
        "angle-brackets-inside-thinking",
        THINK,
        False,
        "<think>Is a < b? Yes, and </thought> is no tag.</think>a < b",
        "Is a < b? Yes, and </thought> is no tag.",
        "a < b",
    ),
    (
        "second-opening-after-close-is-content",
        THINK,
        False,
        "<think>one</think> two <think>three</think>",
        "one",
        "two <think>three</think>",
    ),
    (
        "stream-ends-while-thinking",
        THINK,
        False,
        "<think>Still working on",
        "Still working on",
        "",
    ),
    (
        "stream-ends-inside-closing-tag",
        THINK,
        False,
        "<think>Almost done</thi",
        "Almost done</thi",
        "",
    ),
    (
        "stream-ends-inside-opening-tag",
        THINK,
        False,
        " \n<thi",
        "",
        " \n<thi",
    ),
    ("only-whitespace", THINK, False, " \n ", "", " \n "),
    (
        "other-tags",
        ("<|begin_of_thought|>", "<|end_of_thought|>"),
        False,
        "<|begin_of_thought|> Consider cases. <|end_of_thought|> Done.",
        "Consider cases. ",
        "Done.",
    ),
]


def run(parser: ThinkingParser, chunks: Iterator[str]) -> tuple[str, str]:
    thinking = content = ""
    for chunk in chunks:
        more_thinking, more_content = parser.feed(chunk)
        thinking += more_thinking
        content += more_content
    more_thinking, more_content = parser.finish()
    return thinking + more_thinking, content + more_content


@pytest.mark.parametrize("splitter", SPLITTERS, ids=SPLITTER_IDS)
@pytest.mark.parametrize(
    ("tags", "inside", "output", "thinking", "content"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_split_is_the_same_for_any_chunking(
    splitter: Splitter,
    tags: tuple[str, str],
    inside: bool,
    output: str,
    thinking: str,
    content: str,
) -> None:
    parser = ThinkingParser(*tags, inside=inside)
    assert run(parser, splitter(output)) == (thinking, content)


def test_releases_thinking_without_waiting_for_the_closing_tag() -> None:
    parser = ThinkingParser(*THINK)
    assert parser.feed("<think>step one") == ("step one", "")
    assert parser.feed(" then two ") == (" then two ", "")


def test_holds_back_only_a_possible_tag_start() -> None:
    parser = ThinkingParser(*THINK)
    assert parser.feed("<think>abc</") == ("abc", "")
    assert parser.feed("b>") == ("</b>", "")
    assert parser.feed("x<") == ("x", "")
    assert parser.feed("/think>answer") == ("", "answer")
    assert parser.feed(" more") == ("", " more")
    assert parser.finish() == ("", "")


def test_content_flows_immediately_when_there_is_no_thinking() -> None:
    parser = ThinkingParser(*THINK)
    assert parser.feed("  ") == ("", "")
    assert parser.feed("Hi") == ("", "  Hi")
    assert parser.feed(" <think>") == ("", " <think>")


def test_whitespace_after_tags_is_eaten_across_chunks() -> None:
    parser = ThinkingParser(*THINK, inside=True)
    assert parser.feed("\n") == ("", "")
    assert parser.feed(" \n") == ("", "")
    assert parser.feed("idea") == ("idea", "")
    assert parser.feed("</think>\n") == ("", "")
    assert parser.feed("\n") == ("", "")
    assert parser.feed("Answer\n") == ("", "Answer\n")


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [("abc</th", "</think>", 4), ("abc", "</think>", 0), ("<", "<think>", 1), ("x>", ">", 0)],
)
def test_partial_tag_length(text: str, tag: str, expected: int) -> None:
    assert partial_tag_length(text, tag) == expected
