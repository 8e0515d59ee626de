"""`pollama pull MODEL`: progress bars per layer, a line for every other status
(Ollama's cmd/cmd.go, PullHandler)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from pollama.cli.api_client import ApiClient
from pollama.cli.console import console, err_console


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}:", markup=False),  # server statuses are not markup
        TextColumn("{task.percentage:>3.0f}%"),
        BarColumn(),
        DownloadColumn(binary_units=False),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
    )


def render_transfer(events: Iterable[dict[str, Any]]) -> None:
    """Show a pull or push stream: one bar per digest, other statuses as lines, then `success`
    on stdout. A stream `error` raises from `events` (the caller prints it)."""
    bars: dict[str, TaskID] = {}
    succeeded = False
    with _progress() as progress:
        for event in events:
            status = str(event.get("status", ""))
            digest = event.get("digest")
            if digest:
                total = int(event.get("total") or 0)
                completed = int(event.get("completed") or 0)
                if digest not in bars:
                    # Start at the first reported count, so a resumed download shows no fake
                    # burst of speed.
                    bars[digest] = progress.add_task(status, total=total, completed=completed)
                progress.update(bars[digest], total=total, completed=completed)
            elif status == "success":
                succeeded = True
            elif status:
                progress.console.print(status, markup=False, highlight=False)
    if succeeded:
        console.print("success")


def pull(client: ApiClient, model: str, *, insecure: bool = False) -> None:
    render_transfer(client.stream("/api/pull", {"model": model, "insecure": insecure}))
