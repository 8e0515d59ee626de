"""The API key file: one key a line, `#` comments and blank lines allowed.

    <key-id> sha256:<hex> scopes=read,infer [rate=60/m] [name=laptop] [created=2026-12-02T10:00:00Z]

The file holds only each key's SHA-256 digest, never the key. A line that does not parse is an
error naming the file and line: a key is never dropped silently. Changes are written to a
temporary file in the same directory and renamed over the old one (readers see the old file or
the new, never half of one), mode 0600.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pollama.auth.ratelimit import Rate
from pollama.auth.scopes import SCOPES
from pollama.auth.tokens import DIGEST_PREFIX, is_hex_digest, is_key_id
from pollama.errors import PollamaError

_NAME = re.compile(r"[^\s#=]+")
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z")
_FIELDS = ("scopes", "rate", "name", "created")


class KeyFileError(PollamaError):
    """The key file cannot be read or a line in it does not parse."""


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    digest: str  # hex SHA-256 of the whole key
    scopes: frozenset[str]
    rate: Rate | None = None
    name: str = ""
    created: str = ""  # RFC 3339, UTC

    def line(self) -> str:
        parts = [
            self.key_id,
            DIGEST_PREFIX + self.digest,
            "scopes=" + ",".join(ordered(self.scopes)),
        ]
        if self.rate is not None:
            parts.append(f"rate={self.rate}")
        if self.name:
            parts.append(f"name={self.name}")
        if self.created:
            parts.append(f"created={self.created}")
        return " ".join(parts)


def ordered(scopes: Iterable[str]) -> list[str]:
    """Scopes in their documented order (read, infer, admin)."""
    return [scope for scope in SCOPES if scope in set(scopes)]


def parse_scopes(text: str) -> frozenset[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCOPES]
    if unknown or not names:
        raise ValueError(f"invalid scopes {text!r}: expected a list of {', '.join(SCOPES)}")
    return frozenset(names)


def check_name(name: str) -> str:
    if name and not _NAME.fullmatch(name):
        raise ValueError(f"invalid name {name!r}: no spaces, '#' or '='")
    return name


def parse_line(text: str) -> KeyEntry:
    """One key line; a ValueError says what is wrong with it."""
    key_id, *words = text.split()
    if not is_key_id(key_id):
        raise ValueError(f"invalid key id {key_id!r}: expected lowercase letters and digits")
    if not words or not words[0].startswith(DIGEST_PREFIX):
        raise ValueError(f"expected '{DIGEST_PREFIX}<hex digest>' after the key id")
    digest = words[0][len(DIGEST_PREFIX) :]
    if not is_hex_digest(digest):
        raise ValueError("the digest is not 64 lowercase hex digits")
    fields: dict[str, str] = {}
    for word in words[1:]:
        name, equals, value = word.partition("=")
        if not equals or name not in _FIELDS:
            raise ValueError(f"unknown field {word!r}: expected one of {', '.join(_FIELDS)}")
        if name in fields:
            raise ValueError(f"{name} is given twice")
        fields[name] = value
    if "scopes" not in fields:
        raise ValueError("the scopes field is missing (e.g. scopes=read,infer)")
    created = fields.get("created", "")
    if created and not _CREATED.fullmatch(created):
        raise ValueError(f"invalid created time {created!r}: expected e.g. 2026-12-02T10:00:00Z")
    return KeyEntry(
        key_id=key_id,
        digest=digest,
        scopes=parse_scopes(fields["scopes"]),
        rate=Rate.parse(fields["rate"]) if "rate" in fields else None,
        name=check_name(fields.get("name", "")),
        created=created,
    )


def _is_entry(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def parse_key_file(text: str, path: Path) -> list[KeyEntry]:
    entries: list[KeyEntry] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not _is_entry(line):
            continue
        try:
            entry = parse_line(line)
        except ValueError as error:
            raise KeyFileError(f"API key file {path}, line {number}: {error}") from None
        if entry.key_id in seen:
            raise KeyFileError(f"API key file {path}, line {number}: key id {entry.key_id} repeats")
        seen.add(entry.key_id)
        entries.append(entry)
    return entries


def read_text(path: Path) -> str:
    """The file's text; FileNotFoundError when it is missing, KeyFileError when unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(f"cannot read the API key file {path}: {error}") from None


def read_key_file(path: Path) -> list[KeyEntry]:
    """The keys in `path`; none when it does not exist."""
    try:
        return parse_key_file(read_text(path), path)
    except FileNotFoundError:
        return []


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


HEADER = (
    "# pollama API keys: <id> sha256:<digest> scopes=... [rate=N/s|m|h] [name=...] "
    "[created=...]\n# Managed by `pollama keys`; the keys themselves are not stored here.\n"
)


def add_entry(path: Path, entry: KeyEntry) -> None:
    """Append a key, keeping the file's other lines (comments too) as they are."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        text = HEADER
    if any(existing.key_id == entry.key_id for existing in parse_key_file(text, path)):
        raise KeyFileError(f"key id {entry.key_id} is already in {path}")
    if text and not text.endswith("\n"):
        text += "\n"
    _write_atomically(path, text + entry.line() + "\n")


def remove_entry(path: Path, key_id: str) -> bool:
    """Drop the key `key_id`; False when the file has no such key."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        return False
    parse_key_file(text, path)  # never rewrite a file this code does not understand
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not (_is_entry(line) and line.split()[0] == key_id)]
    if len(kept) == len(lines):
        return False
    _write_atomically(path, "".join(kept))
    return True
