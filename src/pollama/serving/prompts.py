"""Building the prompt text Ollama would send to the model: the messages (model MESSAGEs and
SYSTEM, the request's), the template that renders them, and truncation to the context."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pollama import templates
from pollama.go.strconv import quote as go_quote
from pollama.models import views
from pollama.serving import images as image_tags
from pollama.store import Model

log = logging.getLogger(__name__)
# `Runner.tokenize` with BOS added, of a rendered prompt and the images its `[img-N]` tags
# stand for: how long the prompt is to the model.
Tokenize = Callable[[str, list[str]], Awaitable[list[int]]]
# A rendered prompt and its images, in the order of their tags.
TaggedPrompt = tuple[str, list[str]]


@dataclass(frozen=True)
class ChatTemplate:
    """A model's prompt template: Go (TEMPLATE layer or default) or the GGUF's own Jinja."""

    text: str
    jinja: bool = False

    def render(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        think: bool | None = None,
        think_level: str | None = None,
    ) -> str:
        if self.jinja:
            # The runner's tokenizer adds BOS itself, so the template's own is left empty.
            return templates.render_jinja(self.text, messages, tools=tools, bos_token="")
        return templates.render(
            self.text, messages, tools=tools, think=think, think_level=think_level
        )


def log_prompt(prompt: str) -> None:
    """The prompt the model will see, at debug level (Ollama's `chat request ... prompt=`)."""
    log.debug("rendered prompt: prompt=%s", go_quote(prompt))


def chat_template(model: Model, override: str | None = None) -> ChatTemplate:
    if override:
        return ChatTemplate(override)
    if model.template is not None:
        return ChatTemplate(model.template)
    info = views.gguf_info(model)
    if info is not None and info.chat_template:
        return ChatTemplate(info.chat_template, jinja=True)
    return ChatTemplate(templates.DEFAULT_TEMPLATE)


def generate_messages(
    model: Model, prompt: str, *, system: str | None, images: list[str] | None, with_history: bool
) -> list[dict[str, Any]]:
    """`/api/generate`: [system] + [model MESSAGE history] + [the user's prompt]."""
    messages: list[dict[str, Any]] = []
    system_text = system if system is not None else model.system
    if system_text:
        messages.append({"role": "system", "content": system_text})
    if with_history:
        messages.extend(dict(m) for m in model.messages)
    user: dict[str, Any] = {"role": "user", "content": prompt}
    if images:
        user["images"] = images
    messages.append(user)
    return messages


def chat_messages(model: Model, request_messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/api/chat`: model MESSAGEs + the request's; the model SYSTEM goes first unless the
    request starts with its own system message."""
    messages = [dict(m) for m in model.messages] + request_messages
    starts_with_system = bool(request_messages) and request_messages[0].get("role") == "system"
    if model.system and not starts_with_system:
        messages.insert(0, {"role": "system", "content": model.system})
    return messages


def render_from(
    template: ChatTemplate, messages: list[dict[str, Any]], start: int, **render_args: Any
) -> TaggedPrompt:
    """The prompt of the messages from `start` on (and the system messages before it), and
    their images. As Ollama's `chatPrompt` (server/prompt.go): only the kept messages from
    `start` are tagged, numbered from 0, so a left-out message's images are never sent."""
    tagged, images = image_tags.tag_messages(messages[start:])
    kept = [m for m in messages[:start] if m.get("role") == "system"] + tagged
    return template.render(kept, **render_args), images


async def fit_messages(
    template: ChatTemplate,
    messages: list[dict[str, Any]],
    num_ctx: int,
    tokenize: Tokenize,
    **render_args: Any,
) -> TaggedPrompt:
    """Render, dropping the oldest messages until the prompt (its images counted as the
    runner evaluates them) fits `num_ctx` tokens. System messages and the last message are
    always kept, as Ollama's `chatPrompt` (server/prompt.go) does: the smallest such start
    index is found by binary search (a later start never gives a longer prompt)."""

    async def fits(candidate: TaggedPrompt) -> bool:
        return len(await tokenize(*candidate)) <= num_ctx

    prompt = render_from(template, messages, 0, **render_args)
    if len(messages) <= 1 or await fits(prompt):
        return prompt
    low, high = 1, len(messages) - 1  # invariant: starts below `low` do not fit
    best = render_from(template, messages, high, **render_args)
    while low < high:
        middle = (low + high) // 2
        candidate = render_from(template, messages, middle, **render_args)
        if await fits(candidate):
            high, best = middle, candidate
        else:
            low = middle + 1
    return best  # may still be too long: the runner's shift/truncation takes over
