"""The three requests `pollama run` makes: load (empty generate), one-shot generate, and chat.

Ctrl-C while a response streams cancels that request: the stream is closed, which closes the
HTTP connection, and the server stops generating. The session itself goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console

from pollama.cli.api_client import ApiClient
from pollama.cli.response_view import ResponseView, Spinner
from pollama.cli.run_options import RunOptions
from pollama.cli.verbose import print_summary


def consume(
    events: Iterator[dict[str, Any]], on_event: Callable[[dict[str, Any]], None]
) -> dict[str, Any] | None:
    """Feed every event to `on_event`; return the final (`done`) one, None if Ctrl-C cut it."""
    final: dict[str, Any] | None = None
    try:
        for event in events:
            on_event(event)
            if event.get("done"):
                final = event
    except KeyboardInterrupt:
        return None
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # leaves the HTTP stream, so the server sees the client go
    return final


def load_model(client: ApiClient, opts: RunOptions, err: Console) -> None:
    """Load the model before the first prompt (`POST /api/generate` without a prompt)."""
    body: dict[str, Any] = {"model": opts.model}
    if opts.keep_alive is not None:
        body["keep_alive"] = opts.keep_alive
    if opts.think is not None:
        body["think"] = opts.think  # fails now, not at the first prompt, if it cannot think
    spinner = Spinner(err)
    try:
        for _ in client.stream("/api/generate", body):
            pass
    finally:
        spinner.stop()


def chat(client: ApiClient, opts: RunOptions, out: Console, err: Console) -> dict[str, Any] | None:
    """One `/api/chat` turn over `opts.messages`; the assistant message, or None if cancelled."""
    view = ResponseView(out, err, wordwrap=opts.wordwrap, hide_thinking=opts.hide_thinking)

    def show(event: dict[str, Any]) -> None:
        message = event.get("message") or {}
        view.feed(
            message.get("thinking") or "", message.get("content") or "", message.get("tool_calls")
        )

    body = {**opts.request_fields(), "messages": list(opts.messages)}
    try:
        final = consume(client.stream("/api/chat", body), show)
    finally:
        view.stop()
    if final is None:
        out.out("")
        return None
    if opts.messages:
        out.out("\n")  # the blank line after an answer
    if opts.verbose:
        print_summary(final, err)
    reply: dict[str, Any] = {"role": "assistant", "content": view.content}
    if view.thinking:
        reply["thinking"] = view.thinking
    return reply


def generate(
    client: ApiClient,
    opts: RunOptions,
    out: Console,
    err: Console,
    images: list[str] | None = None,
) -> None:
    """The non-interactive answer to `opts.prompt`, streamed to `out`."""
    view = ResponseView(out, err, wordwrap=opts.wordwrap, hide_thinking=opts.hide_thinking)

    def show(event: dict[str, Any]) -> None:
        view.feed(event.get("thinking") or "", event.get("response") or "", event.get("tool_calls"))

    body: dict[str, Any] = {**opts.request_fields(), "prompt": opts.prompt}
    if opts.system:
        body["system"] = opts.system
    if images:
        body["images"] = images
    try:
        final = consume(client.stream("/api/generate", body), show)
    finally:
        view.stop()
    if final is None:
        out.out("")
        return
    if opts.prompt:
        out.out("\n")  # the blank line after an answer
    if opts.verbose:
        print_summary(final, err)
