"""Images on the native and translated routes, over a model with a projector layer: what the
runner receives (`GenerateParams.images`, the tagged prompt), what the counts say, and that
truncation sends only the images whose tags are left in the prompt. The scripted runner has
no vision: each `[img-N]` tag counts as `IMAGE_TOKENS` positions."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.runner.scripted import IMAGE_TOKENS
from tests.inprocess.conftest import InProcessServer

A, B, C = "QUFB", "QkJC", "Q0ND"  # base64 of "AAA", "BBB", "CCC"
# Spaces around the content keep a tag at its start from splitting a word of the template,
# so that each image adds exactly IMAGE_TOKENS positions.
TEMPLATE = "{{- range .Messages }}<{{ .Role }}> {{ .Content }} </{{ .Role }}>{{ end -}}<assistant>"


@pytest.fixture
def vision(inprocess: InProcessServer) -> InProcessServer:
    inprocess.create("eyes", template=TEMPLATE, projector=True)
    inprocess.reply("ok")
    return inprocess


def test_the_model_has_vision(vision: InProcessServer) -> None:
    shown = vision.post("/api/show", model="eyes").json()
    assert "vision" in shown["capabilities"]
    assert "vision" not in vision.post("/api/show", model="tiny").json()["capabilities"]


def test_chat_tags_every_messages_images_in_order(vision: InProcessServer) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "first", "images": [A]},
        {"role": "assistant", "content": "seen"},
        {"role": "user", "content": "compare [img] with", "images": [B, C]},
    ]
    answer = vision.post("/api/chat", model="eyes", stream=False, messages=messages)
    assert answer.status_code == 200, answer.text
    sent = vision.runner.requests[-1]
    assert sent.images == [A, B, C]
    assert sent.prompt == (
        "<user> [img-0]first </user><assistant> seen </assistant>"
        "<user> [img-2]compare [img-1] with </user><assistant>"
    )
    # each image's positions; without images the `[img]` placeholder is a word of its own
    plain = vision.post(
        "/api/chat", model="eyes", stream=False, messages=[{**m, "images": []} for m in messages]
    ).json()
    grown = answer.json()["prompt_eval_count"] - plain["prompt_eval_count"]
    assert grown == 3 * IMAGE_TOKENS - 1


def test_generate_puts_the_tags_before_the_prompt(vision: InProcessServer) -> None:
    answer = vision.post(
        "/api/generate", model="eyes", prompt="describe", images=[A, B], stream=False
    )
    assert answer.status_code == 200, answer.text
    sent = vision.runner.requests[-1]
    assert sent.images == [A, B]
    assert sent.prompt == "<user> [img-0][img-1]describe </user><assistant>"
    raw = vision.post(
        "/api/generate", model="eyes", prompt="describe", images=[A], raw=True, stream=False
    )
    assert raw.status_code == 200, raw.text
    assert vision.runner.requests[-1].prompt == "[img-0]describe"
    assert vision.runner.requests[-1].images == [A]


def test_a_model_without_projector_refuses_images(vision: InProcessServer) -> None:
    answer = vision.post("/api/generate", model="tiny", prompt="x", images=[A])
    assert answer.status_code == 400
    assert "does not support vision" in answer.json()["error"]
    chat = vision.post(
        "/api/chat", model="tiny", messages=[{"role": "user", "content": "x", "images": [A]}]
    )
    assert chat.status_code == 400
    assert "does not support vision" in chat.json()["error"]


def test_truncation_sends_only_the_images_left_in_the_prompt(vision: InProcessServer) -> None:
    old = "an old long message " * 10
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": old, "images": [A]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "new", "images": [B]},
    ]
    answer = vision.post(
        "/api/chat", model="eyes", stream=False, messages=messages, options={"num_ctx": 30}
    )
    assert answer.status_code == 200, answer.text
    sent = vision.runner.requests[-1]
    # the old message (and its image) is left out; the kept ones are numbered from 0
    assert sent.images == [B]
    assert sent.prompt == (
        "<system> sys </system><assistant> ok </assistant><user> [img-0]new </user><assistant>"
    )
    # the images count: the same messages fit without truncation in a larger context
    whole = vision.post(
        "/api/chat", model="eyes", stream=False, messages=messages, options={"num_ctx": 60}
    )
    assert vision.runner.requests[-1].images == [A, B]
    assert whole.json()["prompt_eval_count"] <= 60


def test_an_image_counts_toward_truncation(vision: InProcessServer) -> None:
    # the text alone fits 30 tokens; with the old message's image it does not
    messages = [
        {"role": "user", "content": "one two three four five six", "images": [A, B, C]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "new"},
    ]
    vision.post("/api/chat", model="eyes", stream=False, messages=messages, options={"num_ctx": 20})
    assert vision.runner.requests[-1].images == []
    assert vision.runner.requests[-1].prompt == (
        "<assistant> ok </assistant><user> new </user><assistant>"
    )


def test_openai_and_anthropic_images_reach_the_runner(vision: InProcessServer) -> None:
    url = f"data:image/png;base64,{A}"
    content = [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "what"}]
    answer = vision.post(
        "/v1/chat/completions", model="eyes", messages=[{"role": "user", "content": content}]
    )
    assert answer.status_code == 200, answer.text
    assert vision.runner.requests[-1].images == [A]
    assert "[img-0]" in str(vision.runner.requests[-1].prompt)
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": B}}
    claude = vision.post(
        "/v1/messages",
        model="eyes",
        max_tokens=5,
        messages=[{"role": "user", "content": [block, {"type": "text", "text": "what"}]}],
    )
    assert claude.status_code == 200, claude.text
    assert vision.runner.requests[-1].images == [B]
    assert vision.runner.requests[-1].prompt == "<user> [img-0]what </user><assistant>"


def test_count_tokens_counts_an_image_as_the_runner_does(vision: InProcessServer) -> None:
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": A}}

    def count(content: list[dict[str, Any]]) -> int:
        answer = vision.post(
            "/v1/messages/count_tokens",
            model="eyes",
            messages=[{"role": "user", "content": content}],
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["input_tokens"])

    text = {"type": "text", "text": "what is it"}
    assert count([block, text]) == count([text]) + IMAGE_TOKENS
    assert count([block, block, text]) == count([text]) + 2 * IMAGE_TOKENS
