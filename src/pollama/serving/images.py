"""Where a request's images go in the prompt: Ollama's `[img-N]` tags.

As Ollama's `chatPrompt` (server/prompt.go) does, each message's images are numbered in
order across the conversation; a message's `[img]` placeholders are replaced by its images'
tags in order, and the tags of the images left over are put before its content. The
template then renders the tags as text, and the runner puts each image's embeddings where
its tag is (pollama.runner.vision).
"""

from __future__ import annotations

from typing import Any

PLACEHOLDER = "[img]"


def tag(index: int) -> str:
    return f"[img-{index}]"


def tag_messages(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The messages with their images' tags in their content, and every image in order."""
    images: list[str] = []
    tagged: list[dict[str, Any]] = []
    for message in messages:
        own = list(message.get("images") or [])
        if not own:
            tagged.append(message)
            continue
        content = str(message.get("content") or "")
        prefix = ""
        for image in own:
            if PLACEHOLDER in content:
                content = content.replace(PLACEHOLDER, tag(len(images)), 1)
            else:
                prefix += tag(len(images))
            images.append(image)
        tagged.append({**message, "content": prefix + content})
    return tagged, images


def tag_prompt(prompt: str, images: list[str]) -> str:
    """A prompt sent as it is (raw, suffix): the images' tags before it."""
    return "".join(tag(i) for i in range(len(images))) + prompt
