"""The middleware in the real app: only when POLLAMA_API_KEYS_FILE is set, inside the
Host/Origin guard, and each refusal in the error shape of the API called."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI

from pollama.auth.keyfile import KeyFileError
from pollama.auth.tokens import key_id_of
from pollama.server.app import create_app
from pollama.settings import Settings
from tests.auth.helpers import bearer, call, make_key

ANTHROPIC = {"anthropic-version": "2023-06-01"}


def app_with_keys(tmp_path: Path, key_file: Path | None) -> FastAPI:
    env = {"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "models")}
    if key_file is not None:
        env["POLLAMA_API_KEYS_FILE"] = str(key_file)
    return create_app(Settings.from_env(env))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "api_keys"


def test_keys_off_by_default(tmp_path: Path) -> None:
    app = app_with_keys(tmp_path, None)
    assert call(app, "GET", "/api/version").status_code == 200


def test_keys_on_with_the_setting(tmp_path: Path, key_file: Path) -> None:
    key = make_key(key_file, "read")
    app = app_with_keys(tmp_path, key_file)
    assert call(app, "GET", "/api/version").status_code == 401
    assert call(app, "GET", "/api/version", headers=bearer(key)).status_code == 200
    assert call(app, "GET", "/api/tags", headers=bearer(key)).json() == {"models": []}
    assert call(app, "GET", "/").text == "Ollama is running"


def test_native_shape(tmp_path: Path, key_file: Path) -> None:
    reader = make_key(key_file, "read")
    app = app_with_keys(tmp_path, key_file)
    missing = call(app, "POST", "/api/chat", json={})
    assert missing.status_code == 401 and set(missing.json()) == {"error"}
    denied = call(app, "POST", "/api/chat", json={}, headers=bearer(reader))
    assert denied.status_code == 403
    assert denied.json() == {
        "error": f"API key {key_id_of(reader)} lacks the 'infer' scope for POST /api/chat"
    }


def test_openai_shape(tmp_path: Path, key_file: Path) -> None:
    reader = make_key(key_file, "read")
    app = app_with_keys(tmp_path, key_file)
    bad = call(app, "POST", "/v1/chat/completions", json={}, headers=bearer("pk-abcd1234-no"))
    assert bad.status_code == 401
    assert bad.json() == {
        "error": {
            "message": "invalid API key",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    denied = call(app, "POST", "/v1/chat/completions", json={}, headers=bearer(reader))
    assert denied.status_code == 403
    assert denied.json()["error"]["type"] == "invalid_request_error"


def test_openai_rate_limit_shape(tmp_path: Path, key_file: Path) -> None:
    key = make_key(key_file, rate="1/h")
    app = app_with_keys(tmp_path, key_file)
    assert call(app, "GET", "/v1/models", headers=bearer(key)).status_code == 200
    limited = call(app, "GET", "/v1/models", headers=bearer(key))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3600"
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")


@pytest.mark.parametrize(("path", "headers"), [("/v1/messages", {}), ("/v1/models", ANTHROPIC)])
def test_anthropic_shape(
    tmp_path: Path, key_file: Path, path: str, headers: dict[str, str]
) -> None:
    app = app_with_keys(tmp_path, key_file)
    method = "POST" if path == "/v1/messages" else "GET"
    refused = call(app, method, path, headers={**headers, "x-api-key": "pk-abcd1234-no"})
    assert refused.status_code == 401
    body = refused.json()
    assert body["type"] == "error" and body["request_id"].startswith("req_")
    assert body["error"] == {"type": "authentication_error", "message": "invalid API key"}


def test_anthropic_permission_and_rate_types(tmp_path: Path, key_file: Path) -> None:
    reader = make_key(key_file, "read", rate="1/h")
    app = app_with_keys(tmp_path, key_file)
    denied = call(app, "POST", "/v1/messages", json={}, headers={"x-api-key": reader})
    assert denied.json()["error"]["type"] == "permission_error"
    assert call(app, "GET", "/v1/models", headers={**ANTHROPIC, "x-api-key": reader}).is_success
    limited = call(app, "GET", "/v1/models", headers={**ANTHROPIC, "x-api-key": reader})
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "rate_limit_error"


def test_the_host_guard_comes_first(tmp_path: Path, key_file: Path) -> None:
    """A refused Host gets the guard's bare 403, key or not; a CORS preflight needs no key."""
    key = make_key(key_file)
    app = app_with_keys(tmp_path, key_file)
    refused = call(app, "GET", "/api/tags", headers={**bearer(key), "Host": "evil.example"})
    assert refused.status_code == 403 and refused.content == b""
    preflight = call(
        app,
        "OPTIONS",
        "/api/chat",
        headers={"Origin": "http://localhost", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost"
    allowed = call(app, "GET", "/api/tags", headers={**bearer(key), "Origin": "http://localhost"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost"
    unauthorized = call(app, "GET", "/api/tags", headers={"Origin": "http://localhost"})
    assert unauthorized.status_code == 401  # and the browser may read why
    assert unauthorized.headers["access-control-allow-origin"] == "http://localhost"


def test_malformed_key_file_stops_create_app(tmp_path: Path, key_file: Path) -> None:
    key_file.write_text("k1 sha256:nothex scopes=read\n")
    with pytest.raises(KeyFileError, match="line 1"):
        app_with_keys(tmp_path, key_file)


def test_refused_requests_are_logged(
    tmp_path: Path, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with_keys(tmp_path, key_file)
    with caplog.at_level(logging.INFO, logger="pollama.requests"):
        call(app, "GET", "/api/tags")
    [line] = [r.getMessage() for r in caplog.records if r.name == "pollama.requests"]
    assert "| 401 |" in line and line.endswith('"/api/tags"')
