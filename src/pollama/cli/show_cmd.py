"""`pollama show MODEL`: sections as Ollama prints them (§4.4), or one raw field with a flag."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from pollama.cli.console import console, print_unsqueezed


def _section(title: str, rows: list[list[str]]) -> None:
    if not rows:
        return
    console.print(f"  {title}")
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 4, 0, 0))
    for _ in rows[0]:
        table.add_column(no_wrap=True)
    for row in rows:
        table.add_row(*row)
    print_unsqueezed(console, table)
    console.print()


def _indent_rows(rows: list[list[str]]) -> list[list[str]]:
    return [["    " + row[0], *row[1:]] for row in rows]


def _first_lines(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    rows = [[line] for line in lines[:2]]
    if len(lines) > 2:
        rows.append(["..."])
    return rows


def render(show: dict[str, Any], *, verbose: bool = False) -> None:
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
    _section("Model", _indent_rows([r for r in model_rows if r[1]]))
    _section("Capabilities", _indent_rows([[c] for c in show.get("capabilities") or []]))
    params = [line.split(None, 1) for line in (show.get("parameters") or "").splitlines()]
    _section("Parameters", _indent_rows([[p[0], p[1] if len(p) > 1 else ""] for p in params]))
    if verbose:
        _section("Metadata", _indent_rows([[k, str(v)] for k, v in info.items()]))
        tensors = show.get("tensors") or []
        _section(
            "Tensors", _indent_rows([[t["name"], t["type"], str(t["shape"])] for t in tensors])
        )
    if show.get("system"):
        _section("System", _indent_rows(_first_lines(show["system"])))
    if show.get("license"):
        _section("License", _indent_rows(_first_lines(show["license"])))
