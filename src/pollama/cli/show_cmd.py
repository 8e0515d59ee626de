"""`pollama show MODEL`: sections as Ollama prints them (cmd/cmd.go, showInfo), or one raw field
with a flag.

Every value comes from the model (names, token lists, licenses), so cells are plain `Text`,
never rich markup: a token such as `[/INST]` must print as itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pollama.cli.console import console, print_unsqueezed
from pollama.go.fmt import format_v as go_value
from pollama.go.strconv import format_float as go_float

# Ollama's `show -v` fits an array into about this many cells, then says how many it left out.
ARRAY_WIDTH = 10


def _section(out: Console, title: str, rows: list[list[str]]) -> None:
    if not rows:
        return
    out.print(Text(f"  {title}"))
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 4, 0, 0))
    for _ in rows[0]:
        table.add_column(no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    print_unsqueezed(out, table)
    out.print()


def _indent_rows(rows: list[list[str]]) -> list[list[str]]:
    return [["    " + row[0], *row[1:]] for row in rows]


def _first_lines(text: str) -> list[list[str]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    rows = [[line] for line in lines[:2]]
    if len(lines) > 2:
        rows.append(["..."])
    return rows


def go_json_value(value: Any) -> str:
    """Go's `%v` of a decoded JSON value: numbers are float64 (`2.68098176e+08`)."""
    if isinstance(value, bool) or value is None:
        return go_value(value)
    if isinstance(value, int | float):
        return go_float(float(value))
    if isinstance(value, list):
        return "[" + " ".join(go_json_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{k}:{go_json_value(v)}" for k, v in items) + "]"
    return str(value)


def array_preview(values: list[Any]) -> str:
    """The first elements that fit `ARRAY_WIDTH` cells (at least one), then `...+N more]`."""
    shown, width = 0, 1  # the opening bracket
    for index, item in enumerate(values):
        item_width = cell_len(go_json_value(item)) + (2 if index else 0)
        if index and width + item_width > ARRAY_WIDTH:
            break
        width += item_width
        shown += 1
    text = go_json_value(values[:shown])
    if shown == len(values):
        return text
    return text.removesuffix("]") + f" ...+{len(values) - shown} more]"


def metadata_value(value: Any) -> str:
    if isinstance(value, list):
        return array_preview(value)
    if isinstance(value, Mapping):
        return "map[string]interface {}"  # Go's %T, as Ollama prints other types
    return go_json_value(value)


def render(show: dict[str, Any], *, verbose: bool = False, out: Console | None = None) -> None:
    out = out or console
    info = show.get("model_info") or {}
    details = show.get("details") or {}
    arch = str(info.get("general.architecture", ""))
    model_rows = [
        ["architecture", arch],
        ["parameters", str(details.get("parameter_size", ""))],
        ["context length", str(info.get(f"{arch}.context_length", ""))],
        ["embedding length", str(info.get(f"{arch}.embedding_length", ""))],
        ["quantization", str(details.get("quantization_level", ""))],
    ]
    if show.get("requires"):
        model_rows.append(["requires", str(show["requires"])])
    _section(out, "Model", _indent_rows([r for r in model_rows if r[1]]))
    capabilities = [[str(c)] for c in show.get("capabilities") or []]
    _section(out, "Capabilities", _indent_rows(capabilities))
    params = [line.split(None, 1) for line in str(show.get("parameters") or "").splitlines()]
    params = [p for p in params if p]
    _section(out, "Parameters", _indent_rows([[p[0], p[1] if len(p) > 1 else ""] for p in params]))
    if verbose:
        metadata = [[key, metadata_value(info[key])] for key in sorted(info)]
        _section(out, "Metadata", _indent_rows(metadata))
        tensors = show.get("tensors") or []
        rows = [[str(t["name"]), str(t["type"]), go_value(t["shape"])] for t in tensors]
        _section(out, "Tensors", _indent_rows(rows))
    if show.get("system"):
        _section(out, "System", _indent_rows(_first_lines(str(show["system"]))))
    if show.get("license"):
        _section(out, "License", _indent_rows(_first_lines(str(show["license"]))))
