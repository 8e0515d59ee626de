"""`pollama list`: NAME ID SIZE MODIFIED, as Ollama prints it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from pollama.cli.console import console, print_unsqueezed
from pollama.cli.humanize import human_bytes, human_time


def parse_go_time(text: str) -> float:
    """RFC3339 with up to nanoseconds -> unix seconds."""
    head, _, rest = text.partition(".")
    fraction, zone = "", ""
    for i, ch in enumerate(rest):
        if ch in "Z+-":
            fraction, zone = rest[:i], rest[i:]
            break
    else:
        fraction = rest
    if not rest:
        for sign in ("Z", "+", "-"):
            idx = head.find(sign, 19)
            if idx != -1:
                head, zone = head[:idx], head[idx:]
                break
    moment = datetime.fromisoformat(head + ("+00:00" if zone in ("", "Z") else zone))
    return moment.timestamp() + (float("0." + fraction) if fraction else 0.0)


def plain_table(*headers: str) -> Table:
    table = Table(box=None, pad_edge=False, padding=(0, 4, 0, 0), header_style="")
    for header in headers:
        table.add_column(header, no_wrap=True)
    return table


def render(models: list[dict[str, Any]], prefix: str = "") -> None:
    table = plain_table("NAME", "ID", "SIZE", "MODIFIED")
    for model in models:
        if prefix and not model["name"].lower().startswith(prefix.lower()):
            continue
        table.add_row(
            Text(str(model["name"])),  # a server's string, never markup
            str(model["digest"])[:12],
            human_bytes(int(model["size"])),
            human_time(parse_go_time(model["modified_at"])),
        )
    print_unsqueezed(console, table)
