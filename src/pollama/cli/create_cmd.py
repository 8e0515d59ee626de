"""`pollama create NAME -f Modelfile`: upload local files as blobs, then `/api/create`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.text import Text

from pollama import modelfile
from pollama.cli.client import Client
from pollama.cli.console import console, err_console
from pollama.cli.humanize import human_bytes
from pollama.errors import BadRequest
from pollama.names import Name

CHUNK = 1 << 20


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),  # file names are not markup
        BarColumn(),
        DownloadColumn(binary_units=False),
        TransferSpeedColumn(),
        console=err_console,
        transient=True,
    )


def _sha256(path: Path, progress: Progress) -> str:
    task = progress.add_task(f"hashing {path.name}", total=path.stat().st_size)
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
            progress.advance(task, len(chunk))
    progress.remove_task(task)
    return "sha256:" + hasher.hexdigest()


def _upload(client: Client, path: Path, digest: str, progress: Progress) -> None:
    if client.http.head(f"/api/blobs/{digest}").status_code == 200:
        return
    task = progress.add_task(f"copying file {digest}", total=path.stat().st_size)

    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                progress.advance(task, len(chunk))
                yield chunk

    client.request("POST", f"/api/blobs/{digest}", content=chunks())
    progress.remove_task(task)


def request_file_names(paths: list[Path]) -> dict[Path, str]:
    """The names files are sent under, as Ollama's cmd/cmd.go (createRequestFileNames): a
    single file by its base name, several by their path below their common directory (so a
    Hugging Face directory's `config.json` is `config.json`, its `original/params.json` keeps
    the folder)."""
    if len(paths) < 2:
        return {path: path.name for path in paths}
    absolute = [Path(os.path.abspath(path)) for path in paths]
    root = Path(os.path.commonpath([path.parent for path in absolute]))
    return {
        path: full.relative_to(root).as_posix() for path, full in zip(paths, absolute, strict=True)
    }


def read_modelfile(file: str) -> tuple[modelfile.CreatePlan, Path]:
    path = Path(file)
    text: str | bytes
    if path.is_file():
        text = path.read_bytes()  # the parser handles UTF-8 and UTF-16 with a BOM
    elif file == "Modelfile":
        text = "FROM ."
    else:
        raise BadRequest(f"open {file}: no such file or directory")
    base = path.parent if path.is_file() else Path.cwd()
    return modelfile.parse(text).to_create_plan(base), base


def build_request(
    client: Client, name: str, plan: modelfile.CreatePlan, base: Path, *, quantize: str = ""
) -> dict[str, Any]:
    request: dict[str, Any] = {"model": name}
    if quantize:
        request["quantize"] = quantize
    if plan.from_model:
        request["from"] = plan.from_model
    with _progress() as progress:
        uploads = (
            ("files", plan.model_files),
            ("adapters", plan.adapter_files),
            ("draft_files", plan.draft_files),
        )
        for key, paths in uploads:
            if not paths:
                continue
            request[key] = {}
            for path, file_name in request_file_names(paths).items():
                digest = _sha256(path, progress)
                _upload(client, path, digest, progress)
                request[key][file_name] = digest
    for key, value in (
        ("template", plan.template),
        ("system", plan.system),
        ("requires", plan.requires),
    ):
        if value is not None:
            request[key] = value
    if plan.parameters:
        request["parameters"] = plan.parameters
    if plan.licenses:
        request["license"] = plan.licenses
    if plan.messages:
        request["messages"] = plan.messages
    return request


def create(client: Client, name: str, file: str, *, quantize: str = "") -> None:
    if not Name.parse(name).is_valid:
        raise BadRequest(f"invalid model name: {name}")
    plan, base = read_modelfile(file)
    for warning in plan.warnings:
        err_console.print(warning, markup=False)
    request = build_request(client, name, plan, base, quantize=quantize)
    _show_statuses(client.stream("/api/create", request))
    console.print("success")


def _show_statuses(events: Iterator[dict[str, Any]]) -> None:
    """Each status under a spinner, and as a dim line once passed; one with a digest and a total
    (quantizing) is a progress bar in the spinner's line, as Ollama's CLI shows it."""
    last = ""
    with err_console.status("creating model") as status:
        for event in events:
            message = str(event.get("status", ""))
            total = int(event.get("total") or 0)
            if event.get("digest") and total:
                line = _bar(message, int(event.get("completed") or 0), total)
                status.update(Text(line))
                last = line
                continue
            if last:
                err_console.print(Text(last, style="dim"))
                last = ""
            status.update(Text(message))  # the server's words, never markup
            if message != "success":
                err_console.print(Text(message, style="dim"))


_BAR_WIDTH = 30


def _bar(message: str, completed: int, total: int) -> str:
    """`quantizing F16 model to Q4_K_M  45% ▕█████████      ▏ 245 MB/540 MB`."""
    fraction = min(max(completed / total, 0.0), 1.0)
    filled = int(fraction * _BAR_WIDTH)
    bar = "█" * filled + " " * (_BAR_WIDTH - filled)
    sizes = f"{human_bytes(completed)}/{human_bytes(total)}"
    return f"{message} {fraction * 100:3.0f}% ▕{bar}▏ {sizes}"
