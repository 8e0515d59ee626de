"""API keys on a real `pollama serve` with the real gemma model: keys made by the real
`pollama keys` CLI, the model created through an admin key, and the official ollama, openai and
anthropic clients and the pollama CLI as drivers (refusals raise each client's own exception).
Also: the warning a server bound beyond loopback without keys logs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anthropic
import httpx
import ollama
import openai
import pytest

from pollama.auth.tokens import key_id_of
from tests.conftest import (
    RunningServer,
    create_gemma,
    free_port,
    serve_in_foreground,
    server_env,
    start_server,
    stop_server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

MODEL = "gemma3:270m"
QUESTION = [{"role": "user", "content": "Name three colors."}]
NO_KEY_WARNING = "with no API keys"


@dataclass
class KeyedServer:
    running: RunningServer
    key_file: Path
    admin: str
    infer: str  # the default scopes: read, infer
    read: str
    limited: str  # read, at most 2 requests an hour
    revocable: str


def keys_cli(key_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `pollama keys` on `key_file`."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(key_file.parent), "POLLAMA_API_KEYS_FILE": ""}
    done = subprocess.run(
        [sys.executable, "-m", "pollama", "keys", *args, "--file", str(key_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def create_key(key_file: Path, *args: str) -> str:
    return keys_cli(key_file, "create", *args).stdout.strip()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyedServer]:
    root = tmp_path_factory.mktemp("keys")
    key_file = root / "api_keys"
    # an hourly rate, so that however slow the machine, no token comes back during the test
    keys = [
        create_key(key_file, "--scope", "admin", "--name", "admin"),
        create_key(key_file),
        create_key(key_file, "--scope", "read"),
        create_key(key_file, "--scope", "read", "--rate", "2/h"),
        create_key(key_file, "--name", "revocable"),
    ]
    running = start_server(root, {"POLLAMA_API_KEYS_FILE": str(key_file)})
    try:
        create_gemma(running.url, MODEL, headers=bearer(keys[0]))
        yield KeyedServer(running, key_file, *keys)
    finally:
        stop_server(running.process)


@pytest.fixture(autouse=True)
def no_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ollama client sends OLLAMA_API_KEY when no Authorization header is given."""
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)


def test_health_check_is_open(keyed: KeyedServer) -> None:
    assert httpx.get(keyed.running.url).text == "Ollama is running"
    assert httpx.get(keyed.running.url + "/api/tags").status_code == 401


def test_ollama_client(keyed: KeyedServer) -> None:
    url = keyed.running.url
    runner = ollama.Client(host=url, headers=bearer(keyed.infer))
    answer = runner.chat(model=MODEL, messages=QUESTION, options={"num_predict": 4})
    assert answer.message.content
    listed = ollama.Client(host=url, headers=bearer(keyed.read)).list()
    assert [m.model for m in listed.models] == [MODEL]
    with pytest.raises(ollama.ResponseError) as denied:
        runner.create(model="copy", from_=MODEL)
    assert denied.value.status_code == 403 and "'admin' scope" in denied.value.error
    with pytest.raises(ollama.ResponseError) as denied:
        runner.delete(MODEL)
    assert denied.value.status_code == 403
    with pytest.raises(ollama.ResponseError) as missing:
        ollama.Client(host=url).list()
    assert missing.value.status_code == 401 and "missing API key" in missing.value.error
    with pytest.raises(ollama.ResponseError) as reader:
        ollama.Client(host=url, headers=bearer(keyed.read)).generate(model=MODEL, prompt="hi")
    assert reader.value.status_code == 403


def test_openai_client(keyed: KeyedServer) -> None:
    base = keyed.running.url + "/v1"
    client = openai.OpenAI(base_url=base, api_key=keyed.infer, max_retries=0)
    whole = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=4)  # type: ignore[arg-type]
    assert whole.choices[0].message.content
    assert [m.id for m in client.models.list()] == [MODEL]
    wrong = openai.OpenAI(base_url=base, api_key="pk-abcd1234-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong.models.list()
    assert refused.value.code == "invalid_api_key"
    reader = openai.OpenAI(base_url=base, api_key=keyed.read, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        reader.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=4)  # type: ignore[arg-type]


def test_anthropic_client(keyed: KeyedServer) -> None:
    url = keyed.running.url
    client = anthropic.Anthropic(base_url=url, api_key=keyed.infer, max_retries=0)
    message = client.messages.create(model=MODEL, messages=QUESTION, max_tokens=4)  # type: ignore[arg-type]
    assert message.content and message.content[0].type == "text"
    wrong = anthropic.Anthropic(base_url=url, api_key="pk-abcd1234-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        wrong.messages.create(model=MODEL, messages=QUESTION, max_tokens=4)  # type: ignore[arg-type]
    reader = anthropic.Anthropic(base_url=url, api_key=keyed.read, max_retries=0)
    with pytest.raises(anthropic.PermissionDeniedError):
        reader.messages.create(model=MODEL, messages=QUESTION, max_tokens=4)  # type: ignore[arg-type]


def test_pollama_cli(keyed: KeyedServer) -> None:
    running = keyed.running
    listed = running.cli("list")
    assert listed.returncode == 1
    assert "missing API key" in listed.stderr
    assert "set OLLAMA_API_KEY to one from `pollama keys create`" in listed.stderr
    running.env["OLLAMA_API_KEY"] = keyed.read
    try:
        listed = running.cli("list")
        assert listed.returncode == 0, listed.stderr
        assert MODEL in listed.stdout
        removed = running.cli("rm", MODEL)
        assert removed.returncode == 1
        assert "lacks the 'admin' scope" in removed.stderr and "pollama keys list" in removed.stderr
    finally:
        del running.env["OLLAMA_API_KEY"]


def test_revoke_takes_effect_without_a_restart(keyed: KeyedServer) -> None:
    tags = keyed.running.url + "/api/tags"
    assert httpx.get(tags, headers=bearer(keyed.revocable)).status_code == 200
    key_id = key_id_of(keyed.revocable)
    assert key_id is not None
    listed = keys_cli(keyed.key_file, "list").stdout
    assert key_id in listed and "revocable" in listed
    keys_cli(keyed.key_file, "revoke", key_id)
    refused = httpx.get(tags, headers=bearer(keyed.revocable))
    assert refused.status_code == 401 and refused.json() == {"error": "invalid API key"}
    assert httpx.get(tags, headers=bearer(keyed.read)).status_code == 200


def test_rate_limit(keyed: KeyedServer) -> None:
    tags = keyed.running.url + "/api/tags"
    for _ in range(2):
        assert httpx.get(tags, headers=bearer(keyed.limited)).status_code == 200
    limited = httpx.get(tags, headers=bearer(keyed.limited))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "rate limit exceeded" in limited.json()["error"]
    client = openai.OpenAI(base_url=keyed.running.url + "/v1", api_key=keyed.limited, max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.models.list()


def test_listening_beyond_loopback_without_keys_warns(tmp_path: Path) -> None:
    stop_server(start_server(tmp_path, bind="0.0.0.0").process)
    log = (tmp_path / "server.log").read_text()
    assert NO_KEY_WARNING in log and "pollama keys create" in log
    assert "POLLAMA_API_KEYS_FILE" in log


def test_with_a_key_file_no_warning_and_a_missing_file_refuses_all(tmp_path: Path) -> None:
    missing = tmp_path / "not_yet"
    running = start_server(tmp_path, {"POLLAMA_API_KEYS_FILE": str(missing)}, bind="0.0.0.0")
    process, url = running.process, running.url
    try:
        assert httpx.get(url + "/api/tags", headers=bearer("pk-abcd1234-x")).status_code == 401
        key = create_key(missing, "--scope", "read")  # the file appears: its key works at once
        assert httpx.get(url + "/api/tags", headers=bearer(key)).status_code == 200
    finally:
        stop_server(process)
    log = (tmp_path / "server.log").read_text()
    assert NO_KEY_WARNING not in log
    assert f"POLLAMA_API_KEYS_FILE {missing} does not exist" in log


def test_a_malformed_key_file_stops_the_server(tmp_path: Path) -> None:
    key_file = tmp_path / "api_keys"
    key_file.write_text("k1 sha256:abc scopes=read\n")
    port = free_port()
    env = server_env(tmp_path, port, {"POLLAMA_API_KEYS_FILE": str(key_file)})
    done = serve_in_foreground(env)
    assert done.returncode == 1
    assert f"Error: API key file {key_file}, line 1: the digest is not 64" in done.stderr
