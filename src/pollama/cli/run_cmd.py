"""`pollama run MODEL [PROMPT...]` (Ollama's cmd/cmd.go, RunHandler): one-shot, piped, or an
interactive session."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console

from pollama.cli import pull_cmd
from pollama.cli.api_client import ApiClient
from pollama.cli.console import console, err_console
from pollama.cli.conversation import generate, load_model
from pollama.cli.images import extract_images
from pollama.cli.line_reader import LineReader, ReadlineReader
from pollama.cli.repl import PROMPT, Repl
from pollama.cli.repl_commands import apply_model_info
from pollama.cli.response_view import print_wrapped
from pollama.cli.run_options import RunOptions, keep_alive_value, parse_think_flag
from pollama.errors import BadRequest, PollamaError


@dataclass
class RunFlags:
    keepalive: str | None = None
    verbose: bool = False
    format: str = ""
    nowordwrap: bool = False
    think: str | None = None  # the raw `--think` value; None when the flag is absent
    hidethinking: bool = False
    insecure: bool = False  # for pulling a missing model (registry work)


def ensure_model(client: ApiClient, name: str, *, insecure: bool = False) -> dict[str, Any]:
    """The model's `/api/show`; a missing model is pulled first (with `insecure`)."""
    try:
        return dict(client.request("POST", "/api/show", {"model": name}).json())
    except PollamaError as exc:
        if exc.status != 404:
            raise
    # registry (issue #5): pull the missing model, then show it
    pull_cmd.pull(client, name, insecure=insecure)
    return dict(client.request("POST", "/api/show", {"model": name}).json())


def build_options(model: str, flags: RunFlags) -> RunOptions:
    opts = RunOptions(
        model=model,
        format=flags.format,
        wordwrap=not flags.nowordwrap,
        hide_thinking=flags.hidethinking,
        verbose=flags.verbose,
    )
    if flags.keepalive:
        opts.keep_alive = keep_alive_value(flags.keepalive)
    if flags.think is not None:
        opts.think = parse_think_flag(flags.think)
        opts.think_explicit = True
    return opts


def replay_history(messages: list[dict[str, Any]], opts: RunOptions, out: Console) -> None:
    """Show the model's MESSAGE history as if it had just been typed and answered."""
    for message in messages:
        role = message.get("role")
        if role == "user":
            out.print(
                f"{PROMPT}{message.get('content', '')}", markup=False, highlight=False, emoji=False
            )
        elif role == "assistant":
            print_wrapped(out, str(message.get("content", "")), wordwrap=opts.wordwrap)
            out.out("\n")


def embed(client: ApiClient, opts: RunOptions, out: Console) -> None:
    if not opts.prompt:
        raise BadRequest(
            f'embedding models require input text. Usage: ollama run {opts.model} "your text here"'
        )
    body: dict[str, Any] = {"model": opts.model, "input": opts.prompt}
    if opts.keep_alive is not None:
        body["keep_alive"] = opts.keep_alive
    embeddings = client.request("POST", "/api/embed", body).json().get("embeddings") or []
    if not embeddings:
        raise PollamaError("no embeddings returned")
    out.print(json.dumps(embeddings[0], separators=(",", ":")), markup=False, highlight=False)


def default_reader(err: Console) -> LineReader:
    from pollama.settings import Settings

    settings = Settings.from_env()
    return ReadlineReader(
        settings.ollama_home / "history",
        history_enabled=not settings.nohistory,
        on_error=lambda text: err.print(text, markup=False, highlight=False),
    )


def run(
    client: ApiClient,
    model: str,
    prompt_args: tuple[str, ...] | list[str],
    flags: RunFlags,
    *,
    stdin: TextIO | None = None,
    out: Console | None = None,
    err: Console | None = None,
    reader: LineReader | None = None,
) -> None:
    stdin = sys.stdin if stdin is None else stdin
    out = out or console
    err = err or err_console
    opts = build_options(model, flags)

    prompts = list(prompt_args)
    interactive = not prompts
    if not stdin.isatty():
        piped = stdin.read()
        if piped:
            prompts.insert(0, piped)
        interactive = False
    if not out.is_terminal:
        interactive = False
    opts.prompt = " ".join(prompts)

    info = ensure_model(client, model, insecure=flags.insecure)
    apply_model_info(opts, info)
    if "embedding" in (info.get("capabilities") or []):
        embed(client, opts, out)
        return

    if not interactive:
        images: list[str] = []
        if opts.multimodal:
            opts.prompt, images = extract_images(opts.prompt, err)
        generate(client, opts, out, err, images)
        return

    load_model(client, opts, err)
    replay_history(list(info.get("messages") or []), opts, out)
    Repl(opts, client, reader or default_reader(err), out, err).run()
