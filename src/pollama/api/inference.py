"""`/api/generate`, `/api/chat`, `/api/ps` (§1.1–1.3, §1.6)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama import options as opts
from pollama import timefmt
from pollama.api.context import context_of
from pollama.api.disconnect import cancel_on_disconnect
from pollama.api.http import json_response, read, respond
from pollama.api.types import ChatRequest, GenerateRequest, InferenceRequest
from pollama.durations import parse_keep_alive
from pollama.errors import BadRequest
from pollama.runner.types import GenerateParams
from pollama.serving import prompts
from pollama.serving.context_tokens import with_context
from pollama.serving.formats import OutputFormat, decode_format
from pollama.serving.generation import Generation, Kind, collect, load_only, single_answer
from pollama.serving.output import OutputSplitter, thinking_first, tool_call_tag
from pollama.serving.resolve import Resolved, resolve
from pollama.serving.thinking import think_setting
from pollama.serving.tool_choice import call_grammar, forced_tool

router = APIRouter()


def _check_top_logprobs(body: InferenceRequest) -> None:
    if not 0 <= body.top_logprobs <= 20:
        raise BadRequest("top_logprobs must be between 0 and 20")


def _check_generate(resolved: Resolved, body: GenerateRequest) -> None:
    if body.raw and (body.template or body.system or body.context):
        raise BadRequest("raw mode does not support template, system, or context")
    resolved.require("completion", f'"{body.model}" does not support generate')
    if body.suffix:
        resolved.require("insert")
    if body.images:
        resolved.require("vision")
    _check_top_logprobs(body)


async def _generate_prompt(
    resolved: Resolved, body: GenerateRequest, runner: Any, num_ctx: int, think: Any
) -> str:
    model = resolved.model
    if body.raw:
        return body.prompt
    template = prompts.chat_template(model, body.template)
    if body.suffix:
        from pollama import templates

        return templates.render_suffix(template.text, body.prompt, body.suffix)
    messages = prompts.generate_messages(
        model,
        body.prompt,
        system=body.system,
        images=body.images,
        with_history=body.context is None,
    )
    render_args = think.render_args()
    if body.truncate is False:
        prompt = template.render(messages, **render_args)
    else:
        prompt = await prompts.fit_messages(
            template, messages, num_ctx, runner.tokenize, **render_args
        )
    return prompt


Prepared = dict[str, Any] | AsyncIterator[dict[str, Any]]


def _params(
    body: InferenceRequest, prompt: str | list[int], options: dict[str, Any], grammar: str | None
) -> GenerateParams:
    return GenerateParams(
        prompt=prompt,
        options=options,
        grammar=grammar,
        logprobs=body.logprobs,
        top_logprobs=body.top_logprobs,
        shift=body.shift is not False,
    )


def _debug_answer(kind: Kind, model: str, prompt: str) -> dict[str, Any]:
    return single_answer(kind, model, _debug_info={"rendered_template": prompt})


async def prepare_generate(request: Request, body: GenerateRequest) -> Prepared:
    """Everything `/api/generate` does before streaming: a single answer (load, unload, debug
    render) or the native chunk stream. `/v1/completions` translates into this too."""
    started = time.monotonic_ns()
    context = context_of(request)
    resolved = resolve(context.store, body.model)
    keep_alive = parse_keep_alive(body.keep_alive)
    if not body.prompt and keep_alive == 0:
        await context.scheduler.stop(resolved.ref)
        return load_only("generate", body.model, "unload")
    _check_generate(resolved, body)
    think = think_setting(resolved, body.think, body.model)
    output_format = decode_format(body.format)
    options = opts.effective(resolved.model.parameters, body.options, base={})
    lease = await context.scheduler.acquire(resolved.ref, options, keep_alive)
    try:
        if not body.prompt and not body.suffix:
            await lease.release()
            return load_only("generate", body.model, "load")
        prompt = await _generate_prompt(
            resolved, body, lease.runner, lease.loaded.spec.num_ctx, think
        )
        prompt, runner_prompt = await with_context(lease.runner, body.context, prompt)
        prompts.log_prompt(prompt)
        if body.debug_render_only:
            await lease.release()
            return _debug_answer("generate", body.model, prompt)
    except BaseException:
        await lease.release()
        raise
    template = prompts.chat_template(resolved.model, body.template)
    think_on = bool(think.enabled)
    splitter = None
    if not body.raw:
        splitter = OutputSplitter(template, prompt=prompt, think=think_on, tools=None)
    grammar = output_format.grammar if output_format else None
    generation = Generation(
        kind="generate",
        model=body.model,
        params=_params(
            body,
            runner_prompt,
            options,
            thinking_first(grammar, template, prompt=prompt, think=think_on),
        ),
        lease=lease,
        started_ns=started,
        return_context=not body.raw,
        splitter=splitter,
    )
    return cancel_on_disconnect(request, generation.events())


def _chat_grammar(
    body: ChatRequest, template: prompts.ChatTemplate, output_format: OutputFormat | None
) -> str | None:
    forced = forced_tool(body.tool_choice, body.tools)
    if forced is not None and body.tools:
        return call_grammar(body.tools, forced, tool_call_tag(template))
    return output_format.grammar if output_format else None


def _check_chat(resolved: Resolved, body: ChatRequest) -> None:
    resolved.require("completion", f'"{body.model}" does not support chat')
    if body.tools:
        resolved.require("tools")
    if any(m.images for m in body.messages):
        resolved.require("vision")
    _check_top_logprobs(body)


async def _chat_prompt(
    resolved: Resolved, body: ChatRequest, template: prompts.ChatTemplate, lease: Any, think: Any
) -> str:
    """The rendered prompt; unless `truncate` is false, the oldest messages that do not fit
    the context are left out."""
    messages = prompts.chat_messages(resolved.model, [m.as_dict() for m in body.messages])
    tools = None if body.tool_choice == "none" else body.tools
    render_args = {"tools": tools, **think.render_args()}
    if body.truncate is False:
        return template.render(messages, **render_args)
    return await prompts.fit_messages(
        template, messages, lease.loaded.spec.num_ctx, lease.runner.tokenize, **render_args
    )


async def count_chat_tokens(request: Request, body: ChatRequest) -> int:
    """How many tokens the whole chat prompt takes, rendered as `/api/chat` renders it (the
    model is loaded to tokenize it). Anthropic's `count_tokens` answers with this."""
    context = context_of(request)
    if not body.model:
        raise BadRequest("model is required")
    resolved = resolve(context.store, body.model)
    _check_chat(resolved, body)
    think = think_setting(resolved, body.think, body.model)
    template = prompts.chat_template(resolved.model)
    options = opts.effective(resolved.model.parameters, body.options, base={})
    lease = await context.scheduler.acquire(
        resolved.ref, options, parse_keep_alive(body.keep_alive)
    )
    try:
        whole = body.model_copy(update={"truncate": False})
        prompt = await _chat_prompt(resolved, whole, template, lease, think)
        return len(await lease.runner.tokenize(prompt))
    finally:
        await lease.release()


async def prepare_chat(request: Request, body: ChatRequest) -> Prepared:
    """Everything `/api/chat` does before streaming (see `prepare_generate`);
    `/v1/chat/completions`, `/v1/responses` and `/v1/messages` translate into this."""
    started = time.monotonic_ns()
    context = context_of(request)
    if not body.model:
        raise BadRequest("model is required")
    resolved = resolve(context.store, body.model)
    keep_alive = parse_keep_alive(body.keep_alive)
    if not body.messages and keep_alive == 0:
        await context.scheduler.stop(resolved.ref)
        return load_only("chat", body.model, "unload")
    _check_chat(resolved, body)
    think = think_setting(resolved, body.think, body.model)
    output_format = decode_format(body.format)
    template = prompts.chat_template(resolved.model)
    tools = None if body.tool_choice == "none" else body.tools
    grammar = _chat_grammar(body, template, output_format)
    options = opts.effective(resolved.model.parameters, body.options, base={})
    lease = await context.scheduler.acquire(resolved.ref, options, keep_alive)
    try:
        if not body.messages:
            await lease.release()
            return load_only("chat", body.model, "load")
        prompt = await _chat_prompt(resolved, body, template, lease, think)
        prompts.log_prompt(prompt)
        if body.debug_render_only:
            await lease.release()
            return _debug_answer("chat", body.model, prompt)
    except BaseException:
        await lease.release()
        raise
    generation = Generation(
        kind="chat",
        model=body.model,
        params=GenerateParams(
            prompt=prompt,
            options=options,
            grammar=thinking_first(grammar, template, prompt=prompt, think=bool(think.enabled)),
            logprobs=body.logprobs,
            top_logprobs=body.top_logprobs,
            shift=body.shift is not False,
        ),
        lease=lease,
        started_ns=started,
        splitter=OutputSplitter(template, prompt=prompt, think=bool(think.enabled), tools=tools),
    )
    return cancel_on_disconnect(request, generation.events())


async def _answer(prepared: Prepared, stream: bool | None) -> Response:
    if isinstance(prepared, dict):
        return json_response(prepared)
    return await respond(prepared, stream=stream is not False, collect=collect)


@router.post("/api/generate")
async def generate(request: Request) -> Response:
    body = await read(request, GenerateRequest)
    return await _answer(await prepare_generate(request, body), body.stream)


@router.post("/api/chat")
async def chat(request: Request) -> Response:
    body = await read(request, ChatRequest)
    return await _answer(await prepare_chat(request, body), body.stream)


@router.get("/api/ps")
async def ps(request: Request) -> Response:
    scheduler = context_of(request).scheduler
    models = []
    for loaded in scheduler.running():
        memory = getattr(loaded.runner, "memory", None)
        size = int(getattr(memory, "total", 0) or 0)
        models.append(
            {
                "name": loaded.model.name,
                "model": loaded.model.name,
                "size": size,
                "digest": loaded.model.digest,
                "details": loaded.model.details,
                "expires_at": timefmt.local_from_seconds(min(loaded.expires_at, 1.0e10)),
                "size_vram": int(getattr(memory, "vram", 0) or 0),
                "context_length": loaded.spec.num_ctx,
                # pollama's addition: slots, which may be fewer than asked when memory is short
                "num_parallel": loaded.spec.num_parallel,
            }
        )
    return json_response({"models": models})
