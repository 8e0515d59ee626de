"""One preparation path for `/api/generate` and `/api/chat` (and the routes translated into them).

`prepare` runs the same steps for both kinds of request, in this order (the order decides which
error a request with several faults gets): resolve the model, answer an unload
(`keep_alive: 0` with nothing to run), check capabilities, decode `think` and `format`, pick
the template and the grammar, merge the options, lease a runner, answer a load-only request,
render the prompt (truncated to the context unless `truncate` is false), answer a debug render,
and hand the lease over to the `Generation` that streams the answer. What differs between the
kinds is the `RequestKind`: its checks, its template and grammar, how it renders its prompt and
how its output is split. `count_tokens` renders a chat prompt the same way and counts it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from pollama import options as opts
from pollama import templates
from pollama.api.types import ChatRequest, GenerateRequest, InferenceRequest
from pollama.errors import BadRequest
from pollama.go.time import parse_keep_alive
from pollama.runner.types import GenerateParams
from pollama.scheduler import Lease
from pollama.server.context import context_of
from pollama.server.disconnect import cancel_on_disconnect
from pollama.serving import images as image_tags
from pollama.serving import prompts
from pollama.serving.context_tokens import with_context
from pollama.serving.formats import OutputFormat, decode_format
from pollama.serving.generation import Generation, Kind, NativeChunk, load_only, single_answer
from pollama.serving.output import OutputSplitter, thinking_first, tool_call_tag
from pollama.serving.resolve import Resolved, resolve
from pollama.serving.thinking import ThinkSetting, think_setting
from pollama.serving.tool_choice import call_grammar, forced_tool
from pollama.serving.usage import usage_of

# A single answer (load, unload, debug render), or the native chunk stream.
Prepared = NativeChunk | AsyncIterator[NativeChunk]
# The prompt as text (logged, shown, read by the output splitter), as sent to the runner
# (the same text, or token ids when the request carries a `context`), and the images its
# `[img-N]` tags stand for.
Rendered = tuple[str, str | list[int], list[str]]


class RequestKind(Protocol):
    """What differs between a generate and a chat request on the one preparation path."""

    @property
    def name(self) -> Kind: ...

    @property
    def body(self) -> InferenceRequest: ...

    @property
    def has_input(self) -> bool:
        """Something to run: without it, `keep_alive: 0` unloads the model."""
        ...

    @property
    def has_work(self) -> bool:
        """Something to generate from: without it, the request only loads the model."""
        ...

    @property
    def return_context(self) -> bool:
        """The final chunk carries `context` (the deprecated token list of `/api/generate`)."""
        ...

    def require_model(self) -> None: ...

    def check(self, resolved: Resolved) -> None: ...

    def template(self, resolved: Resolved) -> prompts.ChatTemplate: ...

    def grammar(
        self, template: prompts.ChatTemplate, output_format: OutputFormat | None
    ) -> str | None: ...

    async def render(
        self,
        resolved: Resolved,
        template: prompts.ChatTemplate,
        think: ThinkSetting,
        lease: Lease,
    ) -> Rendered: ...

    def splitter(
        self, template: prompts.ChatTemplate, prompt: str, think: bool
    ) -> OutputSplitter | None: ...


def _check_top_logprobs(body: InferenceRequest) -> None:
    if not 0 <= body.top_logprobs <= 20:
        raise BadRequest("top_logprobs must be between 0 and 20")


def _options(resolved: Resolved, body: InferenceRequest) -> dict[str, Any]:
    return opts.effective(resolved.model.parameters, body.options, base={})


async def _fit(
    template: prompts.ChatTemplate,
    messages: list[dict[str, Any]],
    truncate: bool | None,
    lease: Lease,
    **render_args: Any,
) -> prompts.TaggedPrompt:
    """The rendered prompt with its images' tags, and the images; unless `truncate` is false,
    the oldest messages that do not fit the context are left out (and their images)."""
    if truncate is False:
        return prompts.render_from(template, messages, 0, **render_args)

    async def tokenize(text: str, images: list[str]) -> list[int]:
        return await lease.runner.tokenize(text, images=images)

    return await prompts.fit_messages(
        template, messages, lease.spec.num_ctx, tokenize, **render_args
    )


@dataclass(frozen=True)
class GenerateKind:
    """`/api/generate` (and `/v1/completions`)."""

    body: GenerateRequest
    name: Kind = "generate"

    @property
    def has_input(self) -> bool:
        return bool(self.body.prompt)

    @property
    def has_work(self) -> bool:
        return bool(self.body.prompt or self.body.suffix)

    @property
    def return_context(self) -> bool:
        return not self.body.raw

    def require_model(self) -> None:
        pass  # an empty name is the store's "not found"

    def check(self, resolved: Resolved) -> None:
        body = self.body
        if body.raw and (body.template or body.system or body.context):
            raise BadRequest("raw mode does not support template, system, or context")
        resolved.require("completion", f'"{body.model}" does not support generate')
        if body.suffix:
            resolved.require("insert")
        if body.images:
            resolved.require("vision")
        _check_top_logprobs(body)

    def template(self, resolved: Resolved) -> prompts.ChatTemplate:
        return prompts.chat_template(resolved.model, self.body.template)

    def grammar(
        self, template: prompts.ChatTemplate, output_format: OutputFormat | None
    ) -> str | None:
        return output_format.grammar if output_format else None

    async def render(
        self,
        resolved: Resolved,
        template: prompts.ChatTemplate,
        think: ThinkSetting,
        lease: Lease,
    ) -> Rendered:
        text, images = await self._text(resolved, template, think, lease)
        shown, runner_prompt = await with_context(lease.runner, self.body.context, text)
        # Image tags only work in text: with images, the context goes as text too.
        return shown, shown if images else runner_prompt, images

    async def _text(
        self,
        resolved: Resolved,
        template: prompts.ChatTemplate,
        think: ThinkSetting,
        lease: Lease,
    ) -> prompts.TaggedPrompt:
        body = self.body
        images = list(body.images or [])
        if body.raw:
            return image_tags.tag_prompt(body.prompt, images), images
        if body.suffix:
            prompt = image_tags.tag_prompt(body.prompt, images)
            return templates.render_suffix(template.text, prompt, body.suffix), images
        messages = prompts.generate_messages(
            resolved.model,
            body.prompt,
            system=body.system,
            images=images,
            with_history=body.context is None,
        )
        return await _fit(template, messages, body.truncate, lease, **think.render_args())

    def splitter(
        self, template: prompts.ChatTemplate, prompt: str, think: bool
    ) -> OutputSplitter | None:
        if self.body.raw:
            return None
        return OutputSplitter(template, prompt=prompt, think=think, tools=None)


@dataclass(frozen=True)
class ChatKind:
    """`/api/chat` (and `/v1/chat/completions`, `/v1/responses`, `/v1/messages`)."""

    body: ChatRequest
    name: Kind = "chat"

    @property
    def has_input(self) -> bool:
        return bool(self.body.messages)

    @property
    def has_work(self) -> bool:
        return bool(self.body.messages)

    @property
    def return_context(self) -> bool:
        return False

    @property
    def tools(self) -> list[dict[str, Any]] | None:
        """The tools the template sees: none with `tool_choice: "none"`."""
        return None if self.body.tool_choice == "none" else self.body.tools

    def require_model(self) -> None:
        if not self.body.model:
            raise BadRequest("model is required")

    def check(self, resolved: Resolved) -> None:
        body = self.body
        resolved.require("completion", f'"{body.model}" does not support chat')
        if body.tools:
            resolved.require("tools")
        if any(m.images for m in body.messages):
            resolved.require("vision")
        _check_top_logprobs(body)

    def template(self, resolved: Resolved) -> prompts.ChatTemplate:
        return prompts.chat_template(resolved.model)

    def grammar(
        self, template: prompts.ChatTemplate, output_format: OutputFormat | None
    ) -> str | None:
        body = self.body
        forced = forced_tool(body.tool_choice, body.tools)
        if forced is not None and body.tools:
            return call_grammar(body.tools, forced, tool_call_tag(template))
        return output_format.grammar if output_format else None

    async def render(
        self,
        resolved: Resolved,
        template: prompts.ChatTemplate,
        think: ThinkSetting,
        lease: Lease,
    ) -> Rendered:
        body = self.body
        messages = prompts.chat_messages(resolved.model, [m.as_dict() for m in body.messages])
        render_args = {"tools": self.tools, **think.render_args()}
        text, images = await _fit(template, messages, body.truncate, lease, **render_args)
        return text, text, images

    def splitter(
        self, template: prompts.ChatTemplate, prompt: str, think: bool
    ) -> OutputSplitter | None:
        return OutputSplitter(template, prompt=prompt, think=think, tools=self.tools)


def _params(
    body: InferenceRequest,
    prompt: str | list[int],
    options: dict[str, Any],
    grammar: str | None,
    adapters: tuple[str, ...] = (),
    images: list[str] | None = None,
    draft_num_predict: int = 0,
) -> GenerateParams:
    return GenerateParams(
        prompt=prompt,
        options=options,
        grammar=grammar,
        logprobs=body.logprobs,
        top_logprobs=body.top_logprobs,
        shift=body.shift is not False,
        adapters=adapters,  # the model's LoRA layers, applied by the shared base's runner
        images=images or [],
        draft_num_predict=draft_num_predict,
    )


async def prepare(request: Request, kind: RequestKind) -> Prepared:
    """Everything a generate or chat request does before streaming (see the module's steps)."""
    started = time.monotonic_ns()
    context = context_of(request)
    body = kind.body
    kind.require_model()
    resolved = resolve(context.store, body.model)
    keep_alive = parse_keep_alive(body.keep_alive)
    if not kind.has_input and keep_alive == 0:
        await context.scheduler.stop(resolved.ref)
        return load_only(kind.name, body.model, "unload")
    kind.check(resolved)
    think = think_setting(resolved, body.think, body.model)
    output_format = decode_format(body.format)
    template = kind.template(resolved)
    grammar = kind.grammar(template, output_format)
    options = _options(resolved, body)
    async with await context.scheduler.acquire(resolved.ref, options, keep_alive) as lease:
        if not kind.has_work:
            return load_only(kind.name, body.model, "load")
        prompt, runner_prompt, images = await kind.render(resolved, template, think, lease)
        prompts.log_prompt(prompt)
        if body.debug_render_only:
            return single_answer(kind.name, body.model, debug_info={"rendered_template": prompt})
        think_on = bool(think.enabled)
        grammar = thinking_first(grammar, template, prompt=prompt, think=think_on)
        params = _params(
            body,
            runner_prompt,
            options,
            grammar,
            resolved.ref.adapter_paths,
            images,
            opts.draft_num_predict(options, has_draft=resolved.ref.draft is not None),
        )
        splitter = kind.splitter(template, prompt, think_on)
        generation = Generation(
            kind=kind.name,
            model=body.model,
            params=params,
            lease=lease.hand_over(),  # from here the generation releases it
            started_ns=started,
            return_context=kind.return_context,
            splitter=splitter,
            usage=usage_of(request),
        )
    return cancel_on_disconnect(request, generation.events())


async def count_tokens(request: Request, body: ChatRequest) -> int:
    """How many tokens the whole chat prompt takes, rendered as `/api/chat` renders it (the
    model is loaded to tokenize it), its images counted as the runner evaluates them;
    `truncate` does not apply."""
    context = context_of(request)
    kind = ChatKind(body.model_copy(update={"truncate": False}))
    kind.require_model()
    resolved = resolve(context.store, body.model)
    kind.check(resolved)
    think = think_setting(resolved, body.think, body.model)
    template = kind.template(resolved)
    options = _options(resolved, body)
    keep_alive = parse_keep_alive(body.keep_alive)
    async with await context.scheduler.acquire(resolved.ref, options, keep_alive) as lease:
        prompt, _, images = await kind.render(resolved, template, think, lease)
        return len(await lease.runner.tokenize(prompt, images=images))
