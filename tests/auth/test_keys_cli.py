"""`pollama keys create|list|revoke` on the file, and the warning `serve` logs when it listens
beyond loopback without keys."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pollama.auth.exposure import exposure_warning
from pollama.auth.keyfile import read_key_file
from pollama.auth.tokens import digest, key_id_of
from pollama.cli.main import cli
from pollama.errors import NotFound
from pollama.settings import Settings


def run(home: Path, *args: str, keys_file: str | None = None) -> Result:
    env = {"HOME": str(home), "POLLAMA_API_KEYS_FILE": keys_file}
    return CliRunner().invoke(cli, ["keys", *args], env=env, catch_exceptions=False)


def test_create_prints_the_key_once_and_stores_its_digest(tmp_path: Path) -> None:
    created = run(tmp_path, "create", "--name", "laptop", "--rate", "60/m")
    assert created.exit_code == 0
    key = created.stdout.strip()
    key_id = key_id_of(key)
    assert key_id is not None
    path = tmp_path / ".ollama" / "api_keys"
    assert f"Created API key {key_id} (scopes read,infer, rate 60/m) in {path}" in created.stderr
    assert "not shown again" in created.stderr
    assert f"start the server with POLLAMA_API_KEYS_FILE={path}" in created.stderr
    [entry] = read_key_file(path)
    assert (entry.key_id, entry.digest, entry.name, str(entry.rate)) == (
        key_id,
        digest(key),
        "laptop",
        "60/m",
    )
    assert entry.scopes == {"read", "infer"} and entry.created.endswith("Z")
    assert key not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_scopes_repeat_or_comma_separated(tmp_path: Path) -> None:
    run(tmp_path, "create", "--scope", "read", "--scope", "admin")
    run(tmp_path, "create", "--scope", "infer,read")
    entries = read_key_file(tmp_path / ".ollama" / "api_keys")
    assert [set(e.scopes) for e in entries] == [{"read", "admin"}, {"read", "infer"}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "write"], "Error: invalid scopes 'write'"),
        (["--rate", "lots"], "Error: invalid rate 'lots'"),
        (["--name", "my laptop"], "Error: invalid name 'my laptop'"),
    ],
)
def test_create_refuses_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pollama", "keys", "create", *args],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(message)
    assert not (tmp_path / ".ollama" / "api_keys").exists()


def test_the_setting_and_file_option_pick_the_file(tmp_path: Path) -> None:
    named = tmp_path / "named_keys"
    created = run(tmp_path, "create", keys_file=str(named))
    assert "POLLAMA_API_KEYS_FILE is not set" not in created.stderr
    assert len(read_key_file(named)) == 1
    other = tmp_path / "other"
    elsewhere = run(tmp_path, "create", "--file", str(other), keys_file=str(named))
    assert f"the server reads POLLAMA_API_KEYS_FILE={named}, not {other}" in elsewhere.stderr
    assert len(read_key_file(other)) == 1 and len(read_key_file(named)) == 1


def test_list_shows_ids_never_digests(tmp_path: Path) -> None:
    key = run(tmp_path, "create", "--name", "ci", "--rate", "2/s", "--scope", "read").stdout
    listed = run(tmp_path, "list")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "SCOPES", "RATE", "CREATED"]
    key_id = key_id_of(key.strip())
    assert row.split()[:4] == [key_id, "ci", "read", "2/s"]
    assert digest(key.strip()) not in listed.stdout


def test_list_without_a_file(tmp_path: Path) -> None:
    listed = run(tmp_path, "list")
    assert listed.exit_code == 0
    assert "no key file at" in listed.stderr


def test_revoke(tmp_path: Path) -> None:
    first = key_id_of(run(tmp_path, "create").stdout.strip())
    second = key_id_of(run(tmp_path, "create").stdout.strip())
    assert first is not None and second is not None
    revoked = run(tmp_path, "revoke", first)
    assert revoked.stdout.strip() == f"revoked API key {first}"
    assert [e.key_id for e in read_key_file(tmp_path / ".ollama" / "api_keys")] == [second]


def test_revoke_an_unknown_id(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no API key nope in"):
        run(tmp_path, "revoke", "nope")


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"OLLAMA_HOST": "0.0.0.0:1234"}, True),
        ({"OLLAMA_HOST": "192.168.1.5"}, True),
        ({"OLLAMA_HOST": "0.0.0.0:1234", "POLLAMA_API_KEYS_FILE": "/etc/keys"}, False),
        ({"OLLAMA_HOST": "127.0.0.1:1234"}, False),
        ({}, False),
    ],
)
def test_exposure_warning(env: dict[str, str], warned: bool) -> None:
    warning = exposure_warning(Settings.from_env(env))
    assert (warning is not None) == warned
    if warning:
        assert "pollama keys create" in warning and "POLLAMA_API_KEYS_FILE" in warning
