"""`pollama ps` (NAME ID SIZE PROCESSOR CONTEXT UNTIL) and `pollama stop`, as Ollama prints them."""

from __future__ import annotations

import math
import time
from typing import Any

from rich.console import Console
from rich.text import Text

from pollama.cli.api_client import ApiClient
from pollama.cli.console import console as default_console
from pollama.cli.console import print_unsqueezed
from pollama.cli.humanize import human_bytes, human_time
from pollama.cli.list_cmd import parse_go_time, plain_table
from pollama.errors import NotFound, PollamaError


def processor(size: int, size_vram: int) -> str:
    """Where a loaded model lives: `100% CPU`, `100% GPU`, `48%/52% CPU/GPU` or `Unknown`."""
    if size_vram == 0:
        return "100% CPU"
    if size_vram == size:
        return "100% GPU"
    if size_vram > size or size == 0:
        return "Unknown"
    cpu_percent = math.floor((size - size_vram) / size * 100 + 0.5)  # Go's math.Round
    return f"{cpu_percent}%/{100 - cpu_percent}% CPU/GPU"


def until(expires_at: str, now: float | None = None) -> str:
    """`4 minutes from now`, `Forever`, or `Stopping...` once the expiry has passed."""
    if not expires_at:
        return "Never"
    now = time.time() if now is None else now
    moment = parse_go_time(expires_at)
    if moment < now:
        return "Stopping..."
    return human_time(moment, now)


def rows(
    models: list[dict[str, Any]], prefix: str = "", now: float | None = None
) -> list[list[str]]:
    out = []
    for model in models:
        name = str(model.get("name", ""))
        if prefix and not name.lower().startswith(prefix.lower()):
            continue
        size = int(model.get("size") or 0)
        out.append(
            [
                name,
                str(model.get("digest", ""))[:12],
                human_bytes(size),
                processor(size, int(model.get("size_vram") or 0)),
                str(model.get("context_length") or 0),
                until(str(model.get("expires_at") or ""), now),
            ]
        )
    return out


def render(models: list[dict[str, Any]], prefix: str = "", out: Console | None = None) -> None:
    out = out or default_console
    table = plain_table("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL")
    for row in rows(models, prefix):
        table.add_row(*(Text(cell) for cell in row))  # the server's strings, never markup
    print_unsqueezed(out, table)


def ps(client: ApiClient, prefix: str = "") -> None:
    render(client.request("GET", "/api/ps").json().get("models") or [], prefix)


def unload(client: ApiClient, model: str) -> None:
    """Ask the server to unload `model` now (`keep_alive: 0`, no prompt)."""
    client.request("POST", "/api/generate", {"model": model, "keep_alive": 0})


def stop(client: ApiClient, model: str) -> None:
    try:
        unload(client, model)
    except PollamaError as exc:
        if "not found" in exc.message:
            raise NotFound(f'couldn\'t find model "{model}" to stop') from None
        raise


def unload_before_delete(client: ApiClient, model: str, err: Console) -> None:
    """`rm` first stops the model; failures other than "not found" only warn."""
    try:
        unload(client, model)
    except PollamaError as exc:
        if "not found" not in exc.message.lower():
            err.print(f"Warning: unable to stop model '{model}'", markup=False)
