"""Concurrent create/delete through a real server (issue 10 item 2).

8 threads loop `create r<i>` (the same SYSTEM text, so the system layer and the config blob are
shared) then `delete r<i>`. Before the store was guarded, some creates answered 200 and left a
model whose shared blob a concurrent delete had pruned (`/api/show`: `blob … not found`), and
some deletes answered 500 (FileNotFoundError walking `manifests/`) and leaked their blobs.
"""

from __future__ import annotations

import threading

import httpx
import ollama
import pytest

from tests.conftest import RunningServer
from tests.fixtures.synthetic_gguf import write_tiny_gguf

pytestmark = pytest.mark.e2e

THREADS = 8
LOOPS = 25


def test_concurrent_create_and_delete_keep_every_model_whole(
    server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    client = ollama.Client(host=server.url)
    weights = write_tiny_gguf(tmp_path_factory.mktemp("races") / "tiny.gguf")
    client.create(model="race-keeper", files={"tiny.gguf": client.create_blob(weights)})
    blobs = server.models / "blobs"
    before = {p.name for p in blobs.iterdir()}
    problems: list[str] = []

    def worker(index: int) -> None:
        name = f"race-r{index}"
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for loop in range(LOOPS):
                body = {"model": name, "from": "race-keeper", "system": "shared", "stream": False}
                created = http.post("/api/create", json=body)
                if created.status_code == 200:
                    shown = http.post("/api/show", json={"model": name})
                    if shown.status_code != 200 or shown.json().get("system") != "shared":
                        problems.append(f"{name}#{loop}: show after create: {shown.text}")
                else:
                    problems.append(f"{name}#{loop}: create {created.status_code} {created.text}")
                deleted = http.request("DELETE", "/api/delete", json={"model": name})
                if deleted.status_code != 200:
                    problems.append(f"{name}#{loop}: delete {deleted.status_code} {deleted.text}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert problems == []
        assert {p.name for p in blobs.iterdir()} == before  # nothing leaked, nothing lost
    finally:
        client.delete("race-keeper")
