"""The CLI's client sends OLLAMA_API_KEY as a Bearer token and says what to do about a 401 or
a 403 from the key check (not about the Host guard's bare 403)."""

from __future__ import annotations

import httpx
import pytest

from pollama.cli.client import Client, ClientError, _error_of


def test_the_key_is_sent_as_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", " pk-abcd1234-secret ")
    assert Client("http://127.0.0.1:1").http.headers["authorization"] == "Bearer pk-abcd1234-secret"
    assert Client("http://127.0.0.1:1", api_key="pk-other-x").http.headers["authorization"] == (
        "Bearer pk-other-x"
    )
    monkeypatch.delenv("OLLAMA_API_KEY")
    assert "authorization" not in Client("http://127.0.0.1:1").http.headers


def _error(status: int, body: dict[str, str] | None = None) -> ClientError:
    request = httpx.Request("GET", "http://127.0.0.1/api/tags")
    response = (
        httpx.Response(status, json=body, request=request)
        if body is not None
        else httpx.Response(status, request=request)
    )
    return _error_of(response)


def test_401_hints_at_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    error = _error(401, {"error": "missing API key"})
    assert error.status == 401
    assert error.message == (
        "missing API key (the server needs an API key: set OLLAMA_API_KEY to one from "
        "`pollama keys create`)"
    )
    monkeypatch.setenv("OLLAMA_API_KEY", "pk-abcd1234-wrong")
    assert _error(401, {"error": "invalid API key"}).message == (
        "invalid API key (the server does not accept the key in OLLAMA_API_KEY)"
    )


def test_403_from_the_key_check_and_from_the_guard() -> None:
    scoped = _error(403, {"error": "API key k1 lacks the 'admin' scope for DELETE /api/delete"})
    assert scoped.message.endswith(
        "(the key in OLLAMA_API_KEY lacks this scope: see `pollama keys list`)"
    )
    assert _error(403).message == "Forbidden"


def test_other_errors_get_no_hint() -> None:
    assert _error(404, {"error": "model 'x' not found"}).message == "model 'x' not found"
