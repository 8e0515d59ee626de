"""Rendering a GGUF `tokenizer.chat_template` (Hugging Face Jinja) the way transformers does.

The template runs in jinja2's sandbox with the variables and helpers HF chat templates expect:
`messages`, `tools`, `add_generation_prompt`, `bos_token`, `eos_token`, `raise_exception`,
`strftime_now` and a `tojson` filter that keeps non-ASCII text as is.
"""

from __future__ import annotations

import datetime
import json
from functools import lru_cache
from typing import Any, NoReturn

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pollama.templates.errors import TemplateError


class _RaisedByTemplate(Exception):
    """A template called raise_exception(message)."""


def _raise_exception(message: str) -> NoReturn:
    raise _RaisedByTemplate(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


@lru_cache(maxsize=32)
def _compile(chat_template: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(chat_template)


def render_jinja(
    chat_template: str,
    messages: list[dict[str, Any]],
    *,
    tools: list[dict[str, Any]] | None = None,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
) -> str:
    """The prompt a Hugging Face chat template produces; errors raise TemplateError."""
    try:
        compiled = _compile(chat_template)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"invalid chat template: {exc.message} (line {exc.lineno})") from exc
    try:
        return compiled.render(
            messages=messages,
            tools=tools,
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
        )
    except _RaisedByTemplate as exc:
        raise TemplateError(str(exc)) from exc
    except Exception as exc:  # any failure inside a model's template is a template error
        raise TemplateError(f"chat template failed: {exc}", status=500) from exc
