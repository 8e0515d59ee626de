"""Ollama's `[img-N]` tags (server/prompt.go, chatPrompt): where a request's images go."""

from __future__ import annotations

from typing import Any

from pollama.serving.images import tag, tag_messages, tag_prompt


def test_images_are_numbered_across_the_messages_and_put_before_the_content() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first", "images": ["A", "B"]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second", "images": ["C"]},
    ]
    tagged, images = tag_messages(messages)
    assert images == ["A", "B", "C"]
    assert [m["content"] for m in tagged] == [
        "be brief",
        "[img-0][img-1]first",
        "ok",
        "[img-2]second",
    ]
    assert tagged[1]["images"] == ["A", "B"]  # the message keeps its images
    assert messages[1]["content"] == "first"  # the request's messages are not changed


def test_placeholders_take_the_tags_in_order_and_leftovers_go_in_front() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "look", "images": ["X"]},
        {"role": "user", "content": "this [img] and that [img] please", "images": ["A", "B"]},
        {"role": "user", "content": "only [img] here", "images": ["C", "D", "E"]},
    ]
    tagged, images = tag_messages(messages)
    assert images == ["X", "A", "B", "C", "D", "E"]
    assert tagged[1]["content"] == "this [img-1] and that [img-2] please"
    # one placeholder: the first image takes it, the two left over go before the content
    assert tagged[2]["content"] == "[img-4][img-5]only [img-3] here"


def test_more_placeholders_than_images_leave_the_rest_as_text() -> None:
    tagged, _ = tag_messages([{"role": "user", "content": "[img] [img]", "images": ["A"]}])
    assert tagged[0]["content"] == "[img-0] [img]"


def test_messages_without_images_and_empty_content() -> None:
    plain = {"role": "user", "content": "hi"}
    tagged, images = tag_messages([plain, {"role": "user", "content": None, "images": ["A"]}])
    assert tagged[0] is plain and images == ["A"]
    assert tagged[1]["content"] == "[img-0]"


def test_a_raw_prompt_gets_every_tag_in_front() -> None:
    assert tag_prompt("describe", ["A", "B"]) == "[img-0][img-1]describe"
    assert tag_prompt("describe", []) == "describe"
    assert tag(7) == "[img-7]"
