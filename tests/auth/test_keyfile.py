"""The key file: lines parsed and written, comments kept, malformed lines refused by file and
line, only digests stored, written atomically with mode 0600; and the key material itself."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pollama.auth.keyfile import (
    KeyEntry,
    KeyFileError,
    add_entry,
    parse_key_file,
    parse_line,
    read_key_file,
    remove_entry,
)
from pollama.auth.ratelimit import Rate
from pollama.auth.tokens import digest, digest_matches, key_id_of, new_key, new_key_id

DIGEST = "ab" * 32


def entry(key_id: str = "abcd1234", **fields: object) -> KeyEntry:
    return KeyEntry(key_id, fields.pop("digest", DIGEST), frozenset({"read"}), **fields)  # type: ignore[arg-type]


def test_new_keys_are_shaped_and_name_their_id() -> None:
    key_id = new_key_id()
    key = new_key(key_id)
    assert len(key_id) == 8 and key_id.isalnum() and key_id.lower() == key_id
    assert key.startswith(f"pk-{key_id}-") and len(key) >= len("pk-12345678-") + 43
    assert key_id_of(key) == key_id
    assert new_key(key_id) != key


@pytest.mark.parametrize(
    "text", ["", "sk-abc", "pk-", "pk-abcd1234", "pk-abcd1234-", "pk-ABCD-secret", "pk--secret"]
)
def test_text_not_shaped_like_a_key_has_no_id(text: str) -> None:
    assert key_id_of(text) is None


def test_digest_match() -> None:
    key = new_key("abcd1234")
    assert digest_matches(digest(key), key)
    assert not digest_matches(digest(key), key + "x")
    assert not digest_matches(None, key)


def test_line_round_trip() -> None:
    full = KeyEntry(
        "k1", DIGEST, frozenset({"admin", "read"}), Rate(60, "m"), "laptop", "2026-12-02T10:00:00Z"
    )
    line = full.line()
    assert line == (
        f"k1 sha256:{DIGEST} scopes=read,admin rate=60/m name=laptop created=2026-12-02T10:00:00Z"
    )
    assert parse_line(line) == full
    assert parse_line(f"k2\tsha256:{DIGEST}   scopes=infer") == KeyEntry(
        "k2", DIGEST, frozenset({"infer"})
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"Bad-Id sha256:{DIGEST} scopes=read", "invalid key id"),
        ("k1", "expected 'sha256:<hex digest>'"),
        (f"k1 md5:{DIGEST} scopes=read", "expected 'sha256:<hex digest>'"),
        ("k1 sha256:abc scopes=read", "64 lowercase hex"),
        (f"k1 sha256:{DIGEST}", "scopes field is missing"),
        (f"k1 sha256:{DIGEST} scopes=read,write", "invalid scopes 'read,write'"),
        (f"k1 sha256:{DIGEST} scopes=", "invalid scopes"),
        (f"k1 sha256:{DIGEST} scopes=read rate=fast", "invalid rate 'fast'"),
        (f"k1 sha256:{DIGEST} scopes=read rate=0/m", "invalid rate"),
        (f"k1 sha256:{DIGEST} scopes=read scopes=infer", "scopes is given twice"),
        (f"k1 sha256:{DIGEST} scopes=read owner=me", "unknown field 'owner=me'"),
        (f"k1 sha256:{DIGEST} scopes=read laptop", "unknown field 'laptop'"),
        (f"k1 sha256:{DIGEST} scopes=read created=yesterday", "invalid created time"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "keys"
    text = f"# comment\n\nok sha256:{DIGEST} scopes=read\n{line}\n"
    with pytest.raises(KeyFileError) as caught:
        parse_key_file(text, path)
    assert caught.value.message.startswith(f"API key file {path}, line 4: ")
    assert reason in caught.value.message


def test_repeated_id_is_refused(tmp_path: Path) -> None:
    text = f"k1 sha256:{DIGEST} scopes=read\nk1 sha256:{'cd' * 32} scopes=admin\n"
    with pytest.raises(KeyFileError, match="line 2: key id k1 repeats"):
        parse_key_file(text, tmp_path / "keys")


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = f"  # indented comment\n\n   \nk1 sha256:{DIGEST} scopes=read\n# k2 old key\n"
    assert [e.key_id for e in parse_key_file(text, tmp_path / "keys")] == ["k1"]


def test_add_and_remove_keep_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "api_keys"
    add_entry(path, entry("k1"))
    add_entry(path, entry("k2", rate=Rate(2, "s")))
    text = path.read_text() + "# a note of the admin\n"
    path.write_text(text)
    add_entry(path, entry("k3"))
    assert [e.key_id for e in read_key_file(path)] == ["k1", "k2", "k3"]
    assert remove_entry(path, "k2")
    assert not remove_entry(path, "k2")
    assert [e.key_id for e in read_key_file(path)] == ["k1", "k3"]
    assert "# a note of the admin\n" in path.read_text()
    assert path.read_text().startswith("# pollama API keys")
    with pytest.raises(KeyFileError, match="already in"):
        add_entry(path, entry("k1"))


def test_written_with_mode_0600_and_no_temporary_left(tmp_path: Path) -> None:
    path = tmp_path / "api_keys"
    path.write_text("")
    path.chmod(0o644)
    add_entry(path, entry("k1"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    remove_entry(path, "k1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["api_keys"]


def test_replaced_by_rename(tmp_path: Path) -> None:
    """A reader holding the old file keeps reading it whole: the new one is a new inode."""
    path = tmp_path / "api_keys"
    add_entry(path, entry("k1"))
    before = path.stat().st_ino
    add_entry(path, entry("k2"))
    assert path.stat().st_ino != before


def test_a_malformed_file_is_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "api_keys"
    path.write_text(f"k1 sha256:{DIGEST} scopes=read\nk2 garbage\n")
    with pytest.raises(KeyFileError, match="line 2"):
        remove_entry(path, "k1")
    with pytest.raises(KeyFileError, match="line 2"):
        add_entry(path, entry("k3"))
    assert path.read_text() == f"k1 sha256:{DIGEST} scopes=read\nk2 garbage\n"


def test_missing_file_has_no_keys(tmp_path: Path) -> None:
    assert read_key_file(tmp_path / "none") == []
    assert not remove_entry(tmp_path / "none", "k1")


def test_only_the_digest_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "api_keys"
    key = new_key("abcd1234")
    add_entry(path, entry("abcd1234", digest=digest(key)))
    text = path.read_text()
    secret = key.split("-", 2)[2]
    assert key not in text and secret not in text
    assert digest(key) in text
