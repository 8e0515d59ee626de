"""The key file as the running server sees it: re-read whenever it changes, so a key created or
revoked with `pollama keys` counts from the next request, without a restart.

Each lookup costs one `os.stat`; the file is parsed again only when its inode, size or mtime
differ from the last read. It fails closed: while the file is missing, unreadable or malformed,
no key is valid (every request but the health check gets a 401) and the log says why.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pollama.auth.keyfile import KeyEntry, KeyFileError, parse_key_file, read_text
from pollama.auth.tokens import digest_matches, key_id_of

log = logging.getLogger(__name__)

_Signature = tuple[int, int, int] | str


class KeyStore:
    def __init__(self, path: Path) -> None:
        """Read `path` now; a malformed file raises `KeyFileError`, so a server does not start
        with a key it cannot read. A missing file is only a warning."""
        self.path = path
        self._signature: _Signature | None = None
        self._entries: dict[str, KeyEntry] = {}
        self.refresh(strict=True)

    def _stat(self) -> _Signature:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return "missing"
        except OSError as error:
            return f"unreadable: {error}"
        return (found.st_ino, found.st_size, found.st_mtime_ns)

    def refresh(self, strict: bool = False) -> None:
        signature = self._stat()
        if signature == self._signature:
            return
        self._signature = signature
        self._entries = {}
        try:
            entries = parse_key_file(read_text(self.path), self.path)
        except FileNotFoundError:
            log.warning(
                "POLLAMA_API_KEYS_FILE %s does not exist: every request is refused until it "
                "does (create a key with `pollama keys create`)",
                self.path,
            )
            return
        except KeyFileError as error:
            if strict:
                raise
            log.error("%s; every request is refused until it is fixed", error.message)
            return
        self._entries = {entry.key_id: entry for entry in entries}
        log.info("API keys: %d in %s", len(entries), self.path)

    def lookup(self, key: str) -> KeyEntry | None:
        """The entry of a valid key, None for any other text."""
        self.refresh()
        key_id = key_id_of(key)
        entry = self._entries.get(key_id) if key_id is not None else None
        matched = digest_matches(entry.digest if entry else None, key)
        return entry if matched else None
