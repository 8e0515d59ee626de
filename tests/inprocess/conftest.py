"""The whole HTTP layer in process, over scripted runners: no weights, no runner process.

The `inprocess` fixture is an `InProcessServer`: the real app (`pollama.server.create_app`) with
its own store in a temporary directory, and a real `Scheduler` whose runners are
`pollama.runner.scripted.ScriptedRunner`s (whitespace tokens, scripted replies). Every route,
translator, check and error path runs as in `pollama serve`; only the model is fake. A model
named `tiny` (the synthetic GGUF, with `CHAT_TEMPLATE`) is created through the app's own
`/api/create` before the test starts.

    def test_something(inprocess: InProcessServer) -> None:
        server = inprocess
        server.reply("Hi", " there")                 # what the model answers (pieces)
        answer = server.post("/api/chat", model="tiny", stream=False,
                             messages=[{"role": "user", "content": "hello"}])
        assert answer.json()["message"]["content"] == "Hi there"
        assert server.runner.requests[-1].prompt == "<user>hello</user><assistant>"

        lines = server.stream("/api/generate", model="tiny", prompt="hi")   # NDJSON objects
        events = server.events("/v1/chat/completions", ...)   # SSE `data:` payloads, parsed

More: `server.reply(fn)` answers with `fn(params)` (a `GenerateParams` -> pieces);
`server.runner.fail("boom", after=1)` fails the next generation after one piece (`die=True`
kills the runner, as a crash does); `server.runners.refuse(error)` fails the next load;
`server.create("other", template=..., system=..., parameters={...}, embedding=True)` makes
another model (`embedding=True`: a GGUF with a pooling type, for `/api/embed`; `projector=True`:
with a projector layer, for images; `draft=True`: with a draft model of the same vocabulary);
`server.upload(path)` uploads a file as a blob and returns its digest;
`server.client` is the starlette `TestClient` itself; `server.runners.started` lists the
runners loaded so far; `server.scheduler` is the real scheduler.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from pollama.runner.scripted import ScriptedRunner, ScriptedRunners
from pollama.runner.types import GenerateParams
from pollama.scheduler import Scheduler
from pollama.server.app import create_app
from pollama.settings import Settings
from pollama.store import Store
from tests.fixtures.synthetic_gguf import write_tiny_gguf

# A small Go template that shows the roles, so tests can assert the prompt the runner got.
CHAT_TEMPLATE = (
    "{{- range .Messages }}<{{ .Role }}>{{ .Content }}</{{ .Role }}>{{ end -}}<assistant>"
)


class InProcessServer:
    """The app over scripted runners, with helpers for requests (see the module's docstring)."""

    def __init__(self, root: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.settings = Settings.from_env(
            {"HOME": str(root / "home"), "OLLAMA_MODELS": str(root / "models"), **(env or {})}
        )
        self.store = Store(self.settings.models)
        self.runners = ScriptedRunners()
        self.scheduler = Scheduler(self.settings, self.runners, fits=lambda spec: True)
        self.app = create_app(self.settings, self.store, self.scheduler)
        self.client = TestClient(self.app, base_url="http://127.0.0.1")

    def __enter__(self) -> InProcessServer:
        self.client.__enter__()  # runs the app's lifespan (the scheduler shuts down at exit)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)

    # ---- the model and its runner --------------------------------------------------------

    @property
    def runner(self) -> ScriptedRunner:
        """The runner loaded last."""
        return self.runners.latest

    def reply(self, *pieces: str | Callable[[GenerateParams], Iterable[str]]) -> None:
        """What every runner answers from now on: text pieces, or one callable making them."""
        if len(pieces) == 1 and callable(pieces[0]):
            self.runners.reply = pieces[0]
        else:
            self.runners.reply = tuple(str(p) for p in pieces)

    def create(
        self,
        name: str,
        *,
        embedding: bool = False,
        projector: bool = False,
        draft: bool = False,
        **fields: Any,
    ) -> str:
        """Create `name` from the synthetic GGUF through `/api/create` (`fields` go in the
        request: template, system, parameters, messages...); `projector` adds a synthetic
        projector GGUF (the model then has `vision`), `draft` a synthetic draft model GGUF
        (same vocabulary, another file); returns the name."""
        stem = name.replace(":", "_")
        pooling = 1 if embedding else None
        files = [write_tiny_gguf(self.root / f"{stem}.gguf", pooling_type=pooling)]
        if projector:
            mmproj = self.root / f"{stem}-mmproj.gguf"
            files.append(write_tiny_gguf(mmproj, arch="clip", general_type="projector"))
        digests = {path.name: self.upload(path) for path in files}
        if draft:
            draft_gguf = write_tiny_gguf(
                self.root / f"{stem}-draft.gguf", extra_kv={"general.name": "tiny draft"}
            )
            fields = {"draft_files": {draft_gguf.name: self.upload(draft_gguf)}, **fields}
        body = {"model": name, "files": digests, "stream": False, **fields}
        created = self.client.post("/api/create", json=body)
        assert created.status_code == 200, created.text
        return name

    def upload(self, path: Path) -> str:
        data = path.read_bytes()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        uploaded = self.client.post(f"/api/blobs/{digest}", content=data)
        assert uploaded.status_code in (200, 201), uploaded.text
        return digest

    # ---- requests ------------------------------------------------------------------------

    def post(self, path: str, **body: Any) -> httpx.Response:
        return self.client.post(path, json=body)

    def stream(self, path: str, **body: Any) -> list[dict[str, Any]]:
        """The NDJSON objects of a streamed answer (status 200 asserted)."""
        with self.client.stream("POST", path, json=body) as answer:
            assert answer.status_code == 200, answer.read().decode()
            return [json.loads(line) for line in answer.iter_lines() if line.strip()]

    def events(self, path: str, **body: Any) -> list[Any]:
        """The `data:` payloads of a server-sent event stream, parsed (`[DONE]` kept as is)."""
        with self.client.stream("POST", path, json=body) as answer:
            assert answer.status_code == 200, answer.read().decode()
            payloads = [
                line[len("data: ") :] for line in answer.iter_lines() if line.startswith("data: ")
            ]
        return [p if p == "[DONE]" else json.loads(p) for p in payloads]


@pytest.fixture
def inprocess(tmp_path: Path) -> Iterator[InProcessServer]:
    """The app over scripted runners, with `tiny` created (see the module's docstring)."""
    with InProcessServer(tmp_path) as running:
        running.create("tiny", template=CHAT_TEMPLATE)
        yield running
