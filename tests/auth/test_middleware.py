"""The key middleware around a small ASGI app: 401 without a valid key, 403 without the scope,
429 over the rate, the key id handed on; the key file re-read when it changes, failing closed
while it is missing or malformed."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from starlette.types import Receive, Scope, Send

from pollama.auth.keyfile import KeyFileError, remove_entry
from pollama.auth.keystore import KeyStore
from pollama.auth.middleware import ApiKeyMiddleware
from pollama.auth.ratelimit import RateLimiter
from pollama.auth.tokens import key_id_of
from tests.auth.helpers import bearer, call, make_key


async def echo_key_id(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers 200 with the key id the middleware left in the scope."""
    body = json.dumps({"key": scope.get("state", {}).get("api_key_id")}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FakeClock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "api_keys"


def guarded(key_file: Path, clock: FakeClock | None = None) -> ApiKeyMiddleware:
    limiter = RateLimiter(clock=clock or FakeClock())
    return ApiKeyMiddleware(echo_key_id, keys=KeyStore(key_file), limiter=limiter)


def test_no_key_is_401(key_file: Path) -> None:
    make_key(key_file)
    response = call(guarded(key_file), "GET", "/api/tags")
    assert response.status_code == 401
    assert response.json() == {
        "error": "missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="pollama"'


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer pk-abcd1234-notthesecret"},
        {"Authorization": "Bearer sk-something"},
        {"x-api-key": "pk-zzzzzzzz-unknown"},
    ],
)
def test_unknown_key_is_401(key_file: Path, headers: dict[str, str]) -> None:
    make_key(key_file)
    response = call(guarded(key_file), "GET", "/api/tags", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid API key"}


def test_right_id_wrong_secret_is_401(key_file: Path) -> None:
    key = make_key(key_file)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = call(guarded(key_file), "GET", "/api/tags", headers=bearer(forged))
    assert response.status_code == 401


def test_valid_key_passes_and_its_id_is_handed_on(key_file: Path) -> None:
    key = make_key(key_file, "read")
    app = guarded(key_file)
    for headers in (bearer(key), {"x-api-key": key}, {"authorization": f"bearer  {key} "}):
        response = call(app, "GET", "/api/tags", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"key": key_id_of(key)}


def test_bearer_wins_over_x_api_key(key_file: Path) -> None:
    key = make_key(key_file)
    headers = {**bearer(key), "x-api-key": "pk-zzzzzzzz-wrong"}
    assert call(guarded(key_file), "GET", "/api/tags", headers=headers).status_code == 200


def test_missing_scope_is_403(key_file: Path) -> None:
    reader, runner, admin = (
        make_key(key_file, "read"),
        make_key(key_file),
        make_key(key_file, "admin"),
    )
    app = guarded(key_file)
    response = call(app, "POST", "/api/generate", headers=bearer(reader), json={})
    assert response.status_code == 403
    assert response.json() == {
        "error": f"API key {key_id_of(reader)} lacks the 'infer' scope for POST /api/generate"
    }
    assert call(app, "POST", "/api/generate", headers=bearer(runner), json={}).status_code == 200
    assert call(app, "DELETE", "/api/delete", headers=bearer(runner)).status_code == 403
    assert call(app, "GET", "/api/unknown", headers=bearer(runner)).status_code == 403
    for method, path in [("DELETE", "/api/delete"), ("GET", "/api/tags"), ("POST", "/api/chat")]:
        assert call(app, method, path, headers=bearer(admin)).status_code == 200


def test_health_check_needs_no_key(key_file: Path) -> None:
    app = guarded(key_file)
    assert call(app, "GET", "/").status_code == 200
    assert call(app, "HEAD", "/").status_code == 200
    assert call(app, "POST", "/").status_code == 401


def test_revoked_and_added_keys_count_from_the_next_request(key_file: Path) -> None:
    key = make_key(key_file)
    app = guarded(key_file)
    assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 200
    key_id = key_id_of(key)
    assert key_id is not None and remove_entry(key_file, key_id)
    assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 401
    later = make_key(key_file)
    assert call(app, "GET", "/api/tags", headers=bearer(later)).status_code == 200


def test_missing_file_refuses_everything_and_warns(
    key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama.auth.keystore"):
        app = guarded(key_file)
    assert f"POLLAMA_API_KEYS_FILE {key_file} does not exist" in caplog.text
    assert call(app, "GET", "/api/tags", headers=bearer("pk-abcd1234-x")).status_code == 401
    key = make_key(key_file)  # the file appears: its keys work at once
    assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 200
    key_file.unlink()
    assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 401


def test_malformed_file_stops_the_start(key_file: Path) -> None:
    make_key(key_file)
    key_file.write_text(key_file.read_text() + "broken line\n")
    with pytest.raises(KeyFileError, match=f"API key file {key_file}, line 4"):
        KeyStore(key_file)


def test_file_broken_while_running_refuses_everything(
    key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = make_key(key_file)
    app = guarded(key_file)
    good = key_file.read_text()
    with caplog.at_level(logging.ERROR, logger="pollama.auth.keystore"):
        key_file.write_text(good + "broken line\n")
        assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 401
    assert "line 4" in caplog.text and "every request is refused" in caplog.text
    key_file.write_text(good)
    assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 200


def test_rate_limit_is_429_with_retry_after(key_file: Path) -> None:
    clock = FakeClock()
    limited, free = make_key(key_file, rate="2/m"), make_key(key_file)
    app = guarded(key_file, clock)
    statuses = [
        call(app, "GET", "/api/tags", headers=bearer(limited)).status_code for _ in range(2)
    ]
    assert statuses == [200, 200]
    refused = call(app, "GET", "/api/tags", headers=bearer(limited))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert "rate limit exceeded" in refused.json()["error"]
    assert all(
        call(app, "GET", "/api/tags", headers=bearer(free)).status_code == 200 for _ in range(5)
    )
    clock.now += 30
    assert call(app, "GET", "/api/tags", headers=bearer(limited)).status_code == 200


def test_refused_requests_are_not_rate_counted(key_file: Path) -> None:
    key = make_key(key_file, "read", rate="1/h")
    app = guarded(key_file)
    for _ in range(3):
        assert call(app, "POST", "/api/chat", headers=bearer(key)).status_code == 403
    assert call(app, "GET", "/api/tags", headers=bearer(key)).status_code == 200


def test_a_large_refused_body_closes_the_connection(key_file: Path) -> None:
    app = guarded(key_file)
    small = call(app, "POST", "/api/chat", content=b"{}")
    assert "connection" not in small.headers
    large = call(app, "POST", "/api/blobs/sha256:00", content=b"x" * (2 * 1024 * 1024))
    assert large.status_code == 401 and large.headers["connection"] == "close"


def test_lifespan_and_other_scopes_pass_through(key_file: Path) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def noop_receive() -> dict[str, str]:
        return {"type": "lifespan.startup"}

    async def noop_send(message: object) -> None:
        return None

    middleware = ApiKeyMiddleware(app, keys=KeyStore(key_file))
    asyncio.run(middleware({"type": "lifespan"}, noop_receive, noop_send))
    assert seen == ["lifespan"]
