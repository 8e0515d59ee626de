"""Ollama's runtime options: the table, the two decoding rules, layering, `/api/show` text.

There are two ways an option value arrives, each with Ollama's own rule:

- typed JSON (request `options`, a stored params layer, `/api/create` `parameters`):
  `decode_options`, Ollama's `Options.FromMap` (unknown keys ignored, wrong types are a 500);
- text (a Modelfile `PARAMETER` line, the REPL's `/set parameter`): `parse_parameter`, Ollama's
  `FormatParams` (Go's strconv parsers; unknown names are an error, removed names a warning).

Effective options are `defaults() <- model params <- request options`, later wins per key.
Values print the way Go's fmt does (`go.fmt`), for `/api/show` and rendered Modelfiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pollama.errors import BadRequest, PollamaError
from pollama.go.fmt import format_gosyntax
from pollama.go.strconv import (
    INT64_MAX,
    INT64_MIN,
    parse_bool,
    parse_float32,
    parse_int64,
    quote,
)


class OptionKind(Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRINGS = "str-list"


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: OptionKind
    default: Any  # None: unset unless a layer sets it
    load_time: bool  # True: fixed when the model is loaded; False: per request (sampling)


_INT, _FLOAT, _BOOL = OptionKind.INT, OptionKind.FLOAT, OptionKind.BOOL

OPTIONS: dict[str, OptionSpec] = {
    spec.name: spec
    for spec in (
        OptionSpec("num_ctx", _INT, 4096, True),
        OptionSpec("num_batch", _INT, 512, True),
        OptionSpec("num_gpu", _INT, -1, True),
        OptionSpec("main_gpu", _INT, None, True),
        OptionSpec("use_mmap", _BOOL, None, True),
        OptionSpec("num_thread", _INT, 0, True),
        OptionSpec("num_keep", _INT, 4, False),
        OptionSpec("seed", _INT, -1, False),
        OptionSpec("num_predict", _INT, -1, False),
        OptionSpec("top_k", _INT, 40, False),
        OptionSpec("top_p", _FLOAT, 0.9, False),
        OptionSpec("min_p", _FLOAT, 0.0, False),
        OptionSpec("typical_p", _FLOAT, 1.0, False),
        OptionSpec("repeat_last_n", _INT, 64, False),
        OptionSpec("temperature", _FLOAT, 0.8, False),
        OptionSpec("repeat_penalty", _FLOAT, 1.0, False),
        OptionSpec("presence_penalty", _FLOAT, 0.0, False),
        OptionSpec("frequency_penalty", _FLOAT, 0.0, False),
        OptionSpec("stop", OptionKind.STRINGS, None, False),
        # speculative decoding: tokens drafted per step (see `draft_num_predict` below)
        OptionSpec("draft_num_predict", _INT, None, False),
    )
}

LOAD_OPTIONS = frozenset(name for name, spec in OPTIONS.items() if spec.load_time)
SAMPLING_OPTIONS = frozenset(name for name, spec in OPTIONS.items() if not spec.load_time)

# Options Ollama removed over time: ignored on the API, a warning in a Modelfile.
DEPRECATED_OPTIONS = frozenset(
    {
        "penalize_newline",
        "low_vram",
        "f16_kv",
        "logits_all",
        "vocab_only",
        "use_mlock",
        "mirostat",
        "mirostat_tau",
        "mirostat_eta",
        "tfs_z",
        "numa",
    }
)


class ParameterError(BadRequest):
    """A `PARAMETER` / `/set parameter` value that does not parse, or an unknown name."""


class DeprecatedParameter(Warning):
    """Raised by `parse_parameter` for a removed option; str() is the line Ollama prints."""

    def __init__(self, name: str) -> None:
        super().__init__(f"warning: parameter {name} is deprecated")
        self.name = name


# ---------------------------------------------------------------------------------------------
# Layers


def defaults() -> dict[str, Any]:
    """pollama's defaults; options without one (stop, main_gpu, use_mmap, ...) are absent."""
    return {name: spec.default for name, spec in OPTIONS.items() if spec.default is not None}


def merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge option layers, later wins per key; None layers and None values are skipped."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is not None:
                merged[key] = value
    return merged


def effective(
    model_params: Mapping[str, Any] | None,
    request_options: Mapping[str, Any] | None,
    *,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`base` (default `defaults()`) <- model params <- request options, both decoded."""
    return merge(
        defaults() if base is None else base,
        decode_options(model_params),
        decode_options(request_options),
    )


# Ollama's api.DefaultOptions drafts 4 tokens per step; its modelOptions turns that off for a
# model without a DRAFT unless the model's parameters or the request set the option.
DEFAULT_DRAFT_NUM_PREDICT = 4


def draft_num_predict(options: Mapping[str, Any], has_draft: bool) -> int:
    """Tokens to draft per step for decoded `options` that hold only what the model and the
    request set: their value, else 4 with a draft model and 0 without (where a value > 0
    means prompt-lookup drafting)."""
    value = options.get("draft_num_predict")
    if value is None:
        return DEFAULT_DRAFT_NUM_PREDICT if has_draft else 0
    return int(value)


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split into (load-time, per-request) options; unknown keys are dropped."""
    load = {k: v for k, v in options.items() if k in LOAD_OPTIONS}
    sampling = {k: v for k, v in options.items() if k in SAMPLING_OPTIONS}
    return load, sampling


# ---------------------------------------------------------------------------------------------
# Typed JSON: Options.FromMap


def _type_error(key: str, what: str) -> PollamaError:
    return PollamaError(f"option {quote(key)} must be {what}", 500)


# Options whose negative values mean nothing (0 = the default): refused with a 400, as a
# negative batch would otherwise fail the load with a 500.
_NON_NEGATIVE = frozenset({"num_batch", "draft_num_predict"})


def decode_options(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Decode a JSON options map as Ollama does; type errors are 500s with Ollama's texts,
    values out of range are 400s."""
    decoded: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        spec = OPTIONS.get(key)
        if spec is None or value is None:
            continue  # unknown (including removed) options and nulls are ignored
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if spec.kind is OptionKind.INT:
            if not is_number or (isinstance(value, float) and not math.isfinite(value)):
                raise _type_error(key, "of type integer")
            # JSON numbers truncate toward zero; kept inside Go's int64
            decoded[key] = min(max(int(value), INT64_MIN), INT64_MAX)
            if key in _NON_NEGATIVE and decoded[key] < 0:
                raise BadRequest(f"option {quote(key)} must not be negative")
        elif spec.kind is OptionKind.FLOAT:
            if not is_number:
                raise _type_error(key, "of type float32")
            try:
                decoded[key] = float(value)
            except OverflowError:  # an integer beyond any float
                raise BadRequest(f"option {quote(key)} is out of range") from None
        elif spec.kind is OptionKind.BOOL:
            if not isinstance(value, bool):
                raise _type_error(key, "of type boolean")
            decoded[key] = value
        else:
            if not isinstance(value, list | tuple):
                raise _type_error(key, "of type array")
            if not all(isinstance(item, str) for item in value):
                raise _type_error(key, "of an array of strings")
            decoded[key] = list(value)
    return decoded


# ---------------------------------------------------------------------------------------------
# Text: FormatParams, with Go's strconv rules


def parse_parameter(name: str, values: list[str]) -> Any:
    """Type the text value(s) of one parameter as Ollama's `FormatParams` does.

    `stop` keeps every value (a list); other options use the first one. Raises
    `DeprecatedParameter` for removed options and `ParameterError` otherwise.
    """
    if name in DEPRECATED_OPTIONS:
        raise DeprecatedParameter(name)
    spec = OPTIONS.get(name)
    if spec is None:
        raise ParameterError(f"unknown parameter '{name}'")
    if spec.kind is OptionKind.STRINGS:
        return list(values)
    text = values[0] if values else ""
    shown = "[" + " ".join(values) + "]"  # Go's %s of a []string
    if spec.kind is OptionKind.FLOAT:
        number = parse_float32(text)
        if number is None:
            raise ParameterError(f"invalid float value {shown}")
        return number
    if spec.kind is OptionKind.INT:
        integer = parse_int64(text)
        if integer is None:
            raise ParameterError(f"invalid int value {shown}")
        return integer
    flag = parse_bool(text)
    if flag is None:
        raise ParameterError(f"invalid bool value {shown}")
    return flag


# ---------------------------------------------------------------------------------------------
# /api/show


def format_show_parameters(params: Mapping[str, Any]) -> str:
    """The `/api/show` `parameters` text: `%-30s %#v` per value, one line per list element."""
    lines: list[str] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        lines.extend(f"{key:<30} {format_gosyntax(item)}" for item in values)
    return "\n".join(lines)
