"""API key material: a new key, the id it carries, and its digest.

A key reads `pk-<id>-<secret>`. The id (lowercase letters and digits, never a `-`) names the key
in the key file and in logs; the secret is 32 random bytes in hex. Only the SHA-256 digest of
the whole key is stored. A plain, unsalted hash is enough because a key holds 256 bits
of randomness: there is no dictionary to try and no brute force that can reach it (slow,
salted hashes are for passwords people choose).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

PREFIX = "pk-"
ID_LENGTH = 8
SECRET_BYTES = 32
DIGEST_PREFIX = "sha256:"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_KEY_ID = re.compile(r"[a-z0-9]{1,32}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# compared against when the id is unknown, so an unknown id costs what a known one does
_NO_DIGEST = "0" * 64


def is_key_id(text: str) -> bool:
    return _KEY_ID.fullmatch(text) is not None


def is_hex_digest(text: str) -> bool:
    return _HEX_DIGEST.fullmatch(text) is not None


def new_key_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def new_key(key_id: str) -> str:
    return f"{PREFIX}{key_id}-{secrets.token_hex(SECRET_BYTES)}"


def key_id_of(key: str) -> str | None:
    """The id a presented key names, or None when it is not shaped like a key."""
    if not key.startswith(PREFIX):
        return None
    key_id, dash, secret = key[len(PREFIX) :].partition("-")
    return key_id if dash and secret and is_key_id(key_id) else None


def digest(key: str) -> str:
    """The hex SHA-256 of the key's text, as the key file stores it."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def digest_matches(stored: str | None, key: str) -> bool:
    """Whether `key` hashes to `stored`, compared in constant time (None: no such key)."""
    found = hmac.compare_digest(stored or _NO_DIGEST, digest(key))
    return found and stored is not None
