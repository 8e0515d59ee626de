"""The model-management routes in process: tags, show, copy, delete, create, blobs, ps, version
and the root."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.fixtures.synthetic_gguf import write_tiny_gguf
from tests.inprocess.conftest import CHAT_TEMPLATE, InProcessServer

MISSING = "sha256:" + "1" * 64


def test_tags_list_the_models(inprocess: InProcessServer) -> None:
    [entry] = inprocess.client.get("/api/tags").json()["models"]
    assert entry["name"] == entry["model"] == "tiny:latest"
    assert len(entry["digest"]) == 64 and entry["size"] > 0
    assert entry["details"]["format"] == "gguf" and entry["details"]["family"] == "llama"
    assert entry["details"]["quantization_level"] == "F16"


def test_show_fields_and_verbose(inprocess: InProcessServer) -> None:
    shown = inprocess.post("/api/show", model="tiny").json()
    assert shown["template"] == CHAT_TEMPLATE
    assert "FROM " in shown["modelfile"] and f"TEMPLATE {CHAT_TEMPLATE}" in shown["modelfile"]
    assert shown["capabilities"] == ["completion"]
    assert shown["details"]["family"] == "llama"
    assert shown["model_info"]["general.architecture"] == "llama"
    verbose = inprocess.post("/api/show", model="tiny", verbose=True).json()
    assert set(shown) <= set(verbose)
    missing = inprocess.post("/api/show", model="nope")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "model 'nope:latest' not found"},
    )


def test_copy_then_delete(inprocess: InProcessServer) -> None:
    copied = inprocess.post("/api/copy", source="tiny", destination="tiny2")
    assert (copied.status_code, copied.content) == (200, b"")
    names = [m["name"] for m in inprocess.client.get("/api/tags").json()["models"]]
    assert sorted(names) == ["tiny2:latest", "tiny:latest"]
    deleted = inprocess.client.request("DELETE", "/api/delete", json={"model": "tiny2"})
    assert (deleted.status_code, deleted.content) == (200, b"")
    again = inprocess.client.request("DELETE", "/api/delete", json={"model": "tiny2"})
    assert (again.status_code, again.json()) == (404, {"error": "model 'tiny2' not found"})


def test_copy_errors(inprocess: InProcessServer) -> None:
    missing = inprocess.post("/api/copy", source="nope", destination="x")
    assert (missing.status_code, missing.json()) == (404, {"error": 'model "nope" not found'})
    bad = inprocess.post("/api/copy", source="tiny", destination="bad name!")
    assert (bad.status_code, bad.json()) == (400, {"error": 'destination "bad name!" is invalid'})


def test_blobs_head_and_upload(inprocess: InProcessServer) -> None:
    gguf = write_tiny_gguf(inprocess.root / "other.gguf", extra_kv={"general.name": "other"})
    data = gguf.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert inprocess.client.head(f"/api/blobs/{digest}").status_code == 404
    wrong = inprocess.client.post("/api/blobs/sha256:" + "0" * 64, content=data)
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": f'digest mismatch, expected "sha256:{"0" * 64}", got "{digest}"'
    }
    bad = inprocess.client.post("/api/blobs/nothex", content=data)
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid digest format"})
    assert inprocess.client.post(f"/api/blobs/{digest}", content=data).status_code in (200, 201)
    assert inprocess.client.head(f"/api/blobs/{digest}").status_code == 200


def test_create_streams_its_statuses(inprocess: InProcessServer) -> None:
    shown = inprocess.post("/api/show", model="tiny").json()
    digest = "sha256:" + shown["modelfile"].split("sha256-")[1].split("\n")[0]
    with inprocess.client.stream(
        "POST", "/api/create", json={"model": "made", "files": {"x.gguf": digest}}
    ) as answer:
        assert answer.status_code == 200
        statuses = [json.loads(line)["status"] for line in answer.iter_lines() if line]
    assert statuses == [
        "parsing GGUF",
        f"using existing layer {digest}",
        "writing manifest",
        "success",
    ]
    derived = inprocess.post(
        "/api/create", model="derived", system="S", stream=False, **{"from": "tiny"}
    )
    assert derived.json() == {"status": "success"}
    assert inprocess.post("/api/show", model="derived").json()["system"] == "S"


def test_create_errors(inprocess: InProcessServer) -> None:
    not_found = f'blob "{MISSING}" not found: upload it with POST /api/blobs/{MISSING}'
    cases: list[tuple[dict[str, Any], str]] = [
        ({"model": "bad name!", "files": {"x.gguf": MISSING}}, "invalid model name"),
        ({"model": "m2", "files": {"x.gguf": MISSING}}, not_found),
        ({"model": "m3"}, "neither 'from' or 'files' was specified"),
    ]
    for body, error in cases:
        answer = inprocess.post("/api/create", stream=False, **body)
        assert (answer.status_code, answer.json()) == (400, {"error": error})
    with inprocess.client.stream("POST", "/api/create", json=cases[1][0]) as streamed:
        lines = [json.loads(line) for line in streamed.iter_lines() if line]
    assert (streamed.status_code, lines) == (400, [{"error": not_found}])


def test_ps_version_and_root(inprocess: InProcessServer) -> None:
    assert inprocess.client.get("/api/ps").json() == {"models": []}
    inprocess.post("/api/generate", model="tiny")
    [running] = inprocess.client.get("/api/ps").json()["models"]
    assert running["name"] == "tiny:latest" and running["context_length"] == 2048
    assert {"size", "size_vram", "expires_at", "digest", "details"} <= set(running)
    version = inprocess.client.get("/api/version").json()
    assert list(version) == ["version"] and isinstance(version["version"], str)
    root = inprocess.client.get("/")
    assert (root.status_code, root.text) == (200, "Ollama is running")
    head = inprocess.client.head("/")
    assert (head.status_code, head.text) == (200, "")
