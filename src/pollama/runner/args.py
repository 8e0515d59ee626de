"""Command-line flags of `python -m pollama.runner`, both ways, derived from `RunnerSpec`.

Each runner-side field is one flag named after it (`num_ctx` is `--num-ctx`), with its
type, choices and help from the field; booleans get `--x` / `--no-x`. Fields marked
`SERVER_SIDE` (the load timeout, the memory limit, the interpreter) stay with the server.
Adding a field to the spec adds its flag.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pollama.runner.types import RunnerSpec
from pollama.runner.wire import WireField, wire_fields

_FLAG_TYPES: dict[object, Callable[[str], object]] = {
    int: int,
    float: float,
    str: str,
    Path: Path,
    int | None: int,
    Path | None: Path,
}


def runner_fields() -> tuple[WireField, ...]:
    """The spec's fields that the runner process is told on its command line."""
    return tuple(f for f in wire_fields(RunnerSpec) if not f.metadata.get("server_side"))


def _flag(field: WireField) -> str:
    return "--" + field.name.replace("_", "-")


def _add_flag(parser: argparse.ArgumentParser, field: WireField) -> None:
    help_text = str(field.metadata.get("help", ""))
    if field.type is bool:  # this action names its default itself
        parser.add_argument(
            _flag(field), action=argparse.BooleanOptionalAction, default=field.default,
            help=help_text,
        )  # fmt: skip
        return
    if not field.required:
        help_text += " (default: %(default)s)"
    options: dict[str, Any] = {"type": _FLAG_TYPES[field.type], "help": help_text}
    choices = field.metadata.get("choices")
    if isinstance(choices, Sequence):
        options["choices"] = choices
    if field.required:
        options["required"] = True
    else:
        options["default"] = field.default
    parser.add_argument(_flag(field), **options)


def parse_args(argv: list[str] | None = None) -> tuple[RunnerSpec, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m pollama.runner",
        description="Serve one GGUF model to pollama.",
    )
    for field in runner_fields():
        _add_flag(parser, field)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", type=Path, help="unix socket path to listen on")
    where.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (0 = any free one)")
    args = parser.parse_args(argv)
    spec = RunnerSpec(**{field.name: getattr(args, field.name) for field in runner_fields()})
    return spec, args


def spec_to_args(spec: RunnerSpec) -> list[str]:
    """The command-line flags that reproduce `spec` (used by the client to spawn us)."""
    args: list[str] = []
    for field in runner_fields():
        value = getattr(spec, field.name)
        if field.type is bool:
            args.append(_flag(field) if value else "--no-" + _flag(field)[2:])
        elif value is not None:
            args += [_flag(field), str(value)]
    return args
