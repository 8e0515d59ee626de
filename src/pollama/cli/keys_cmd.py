"""`pollama keys create|list|revoke`: the API key file, edited directly (no server needed).

The file is `--file`, else POLLAMA_API_KEYS_FILE, else ~/.ollama/api_keys. A new key is printed
once, alone on stdout (`KEY=$(pollama keys create)` works); what it is and where it went goes to
stderr. A running server reads the file again on its next request, so changes need no restart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.text import Text

from pollama.auth.keyfile import (
    KeyEntry,
    add_entry,
    check_name,
    ordered,
    parse_scopes,
    read_key_file,
    remove_entry,
)
from pollama.auth.ratelimit import Rate
from pollama.auth.scopes import DEFAULT_SCOPES, SCOPES
from pollama.auth.tokens import digest, new_key, new_key_id
from pollama.cli.console import console, err_console, print_unsqueezed
from pollama.cli.list_cmd import plain_table
from pollama.errors import BadRequest, NotFound
from pollama.settings import Settings

_file_option = click.option(
    "--file",
    "file_",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Key file (default: POLLAMA_API_KEYS_FILE, else ~/.ollama/api_keys)",
)


def key_file(explicit: Path | None, settings: Settings) -> Path:
    if explicit is not None:
        return explicit.expanduser()
    return settings.api_keys_file or settings.ollama_home / "api_keys"


def _server_note(path: Path, settings: Settings) -> str | None:
    """How to make a server use `path`, when POLLAMA_API_KEYS_FILE does not name it."""
    if settings.api_keys_file is None:
        return (
            "POLLAMA_API_KEYS_FILE is not set: start the server with "
            f"POLLAMA_API_KEYS_FILE={path} to require keys"
        )
    if settings.api_keys_file.absolute() != path.absolute():
        return f"note: the server reads POLLAMA_API_KEYS_FILE={settings.api_keys_file}, not {path}"
    return None


@click.group("keys")
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help=f"Scope to grant, repeatable or comma separated: {', '.join(SCOPES)} "
    f"(default {','.join(DEFAULT_SCOPES)}; admin grants all)",
)
@click.option("--name", default="", help="A name to recognise the key by (no spaces)")
@click.option("--rate", default=None, help="Requests allowed per second, minute or hour (60/m)")
@_file_option
def create(scopes: tuple[str, ...], name: str, rate: str | None, file_: Path | None) -> None:
    """Create an API key and print it, once.

    Only its SHA-256 hash is stored: copy the key when it is printed."""
    settings = Settings.from_env()
    path = key_file(file_, settings)
    try:
        granted = parse_scopes(",".join(scopes)) if scopes else frozenset(DEFAULT_SCOPES)
        limit = Rate.parse(rate) if rate is not None else None
        check_name(name)
    except ValueError as error:
        raise BadRequest(str(error)) from None
    taken = {entry.key_id for entry in read_key_file(path)}
    key_id = new_key_id()
    while key_id in taken:
        key_id = new_key_id()
    key = new_key(key_id)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    add_entry(path, KeyEntry(key_id, digest(key), granted, limit, name, created))
    console.print(key, markup=False)
    summary = f"Created API key {key_id} (scopes {','.join(ordered(granted))}"
    summary += f", rate {limit})" if limit else ")"
    err_console.print(f"{summary} in {path}.", markup=False)
    err_console.print("Copy the key now: it is not shown again.", markup=False)
    if note := _server_note(path, settings):
        err_console.print(note, markup=False)


@keys.command("list")
@_file_option
def list_keys(file_: Path | None) -> None:
    """List the API keys (ids, never the keys)."""
    settings = Settings.from_env()
    path = key_file(file_, settings)
    table = plain_table("ID", "NAME", "SCOPES", "RATE", "CREATED")
    for entry in read_key_file(path):
        table.add_row(
            entry.key_id,
            Text(entry.name),
            ",".join(ordered(entry.scopes)),
            str(entry.rate) if entry.rate else "",
            entry.created,
        )
    print_unsqueezed(console, table)
    if not path.exists():
        err_console.print(f"no key file at {path}", markup=False)


@keys.command("revoke")
@click.argument("key_id")
@_file_option
def revoke(key_id: str, file_: Path | None) -> None:
    """Revoke an API key by its id.

    A running server refuses the key from its next request on."""
    path = key_file(file_, Settings.from_env())
    if not remove_entry(path, key_id):
        raise NotFound(f"no API key {key_id} in {path}")
    console.print(f"revoked API key {key_id}", markup=False)
