"""Test doubles for the CLI: a scripted line source, a fake HTTP client, capturing consoles."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console

from pollama.errors import PollamaError

Route = Callable[[Any], Any] | Any


def capture_console(*, terminal: bool = False, width: int = 80) -> Console:
    return Console(
        file=io.StringIO(),
        width=width,
        force_terminal=terminal,
        color_system=None,
        highlight=False,
        soft_wrap=True,
    )


def text_of(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


class FakeResponse:
    def __init__(self, data: Any) -> None:
        self._data = data

    def json(self) -> Any:
        return self._data


class FakeClient:
    """Answers from per-route tables; a route is a value, a callable of the body, or an error.

    `streams[path]` gives the events of one streamed call: a list (used for every call), or a
    callable of the body returning one. An exception among the events is raised at that point.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.streams: dict[str, Route] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.closed_streams = 0

    def _answer(self, route: Route, body: Any) -> Any:
        value = route(body) if callable(route) else route
        if isinstance(value, BaseException):
            raise value
        return value

    def request(self, method: str, path: str, body: Any = None) -> FakeResponse:
        self.calls.append((method, path, copy.deepcopy(body)))
        route = self.routes.get((method, path))
        if route is None:
            raise PollamaError(f"no fake route for {method} {path}", 500)
        return FakeResponse(self._answer(route, body))

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append(("STREAM", path, copy.deepcopy(body)))
        route = self.streams.get(path)
        if route is None:
            raise PollamaError(f"no fake stream for {path}", 500)
        events = self._answer(route, body)
        try:
            for event in events:
                if isinstance(event, BaseException):
                    raise event
                yield event
        finally:
            self.closed_streams += 1

    def bodies(self, path: str) -> list[Any]:
        return [body for _, called, body in self.calls if called == path]


class ScriptedReader:
    """Lines for the REPL; an exception instance in the script is raised instead of a line."""

    def __init__(self, script: list[str | BaseException]) -> None:
        self.script = list(script)
        self.prompts: list[str] = []
        self.history: list[bool] = []

    def read_line(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.script:
            raise EOFError
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def set_history(self, enabled: bool) -> None:
        self.history.append(enabled)


def chat_events(*pieces: str, thinking: tuple[str, ...] = (), **final: Any) -> list[dict[str, Any]]:
    """An `/api/chat` stream: thinking chunks, content chunks, then a final chunk."""
    events = [
        {"message": {"role": "assistant", "content": "", "thinking": t}, "done": False}
        for t in thinking
    ]
    events += [{"message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
    events.append(
        {
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            **final,
        }
    )
    return events


def generate_events(*pieces: str, **final: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"response": p, "done": False} for p in pieces]
    events.append({"response": "", "done": True, "done_reason": "stop", **final})
    return events
