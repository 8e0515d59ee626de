"""The pull/push CLI rendering, and `run` pulling a missing model first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pollama.cli import pull_cmd, run_cmd
from pollama.errors import NotFound, PollamaError

EVENTS: list[dict[str, Any]] = [
    {"status": "pulling manifest"},
    {"status": "pulling 0123456789ab", "digest": "sha256:0123456789ab" + "0" * 52, "total": 10},
    {
        "status": "pulling 0123456789ab",
        "digest": "sha256:0123456789ab" + "0" * 52,
        "total": 10,
        "completed": 10,
    },
    {"status": "verifying sha256 digest"},
    {"status": "writing manifest"},
    {"status": "success"},
]


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.pulled = False

    def request(self, method: str, path: str, body: Any = None) -> Any:
        self.calls.append((path, body))
        if path == "/api/show" and not self.pulled:
            raise NotFound(f"model '{body['model']}' not found")
        return self

    def json(self) -> dict[str, Any]:
        return {"capabilities": ["completion"]}

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append((path, body))
        self.pulled = True
        yield from EVENTS


def test_render_transfer_prints_statuses_and_success(capsys: pytest.CaptureFixture[str]) -> None:
    pull_cmd.render_transfer(iter(EVENTS))
    out, err = capsys.readouterr()
    assert out == "success\n"
    for status in ("pulling manifest", "verifying sha256 digest", "writing manifest"):
        assert status in err


def test_render_transfer_raises_stream_errors() -> None:
    def failing() -> Iterator[dict[str, Any]]:
        yield {"status": "pulling manifest"}
        raise PollamaError("pull model manifest: file does not exist")

    with pytest.raises(PollamaError, match="file does not exist"):
        pull_cmd.render_transfer(failing())


def test_run_pulls_a_missing_model_first() -> None:
    client = FakeClient()
    info = run_cmd.ensure_model(client, "tiny", insecure=True)
    assert info == {"capabilities": ["completion"]}
    assert [path for path, _ in client.calls] == ["/api/show", "/api/pull", "/api/show"]
    assert client.calls[1][1] == {"model": "tiny", "insecure": True}
