"""Blobs and manifests on disk: atomic, verified, Ollama's layout."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pollama.errors import BadRequest, NotFound
from pollama.names import Name
from pollama.store import Store, media_types
from pollama.store.blobs import DigestMismatch, parse_digest
from pollama.store.manifest import Layer, Manifest


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "models")
    s.ensure()
    return s


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sha256:" + "a" * 64, "sha256:" + "a" * 64),
        ("sha256-" + "A" * 64, "sha256:" + "a" * 64),
    ],
)
def test_parse_digest(text: str, expected: str) -> None:
    assert parse_digest(text) == expected


@pytest.mark.parametrize("text", ["", "sha256:abc", "md5:" + "a" * 64, "sha256:" + "g" * 64])
def test_parse_digest_rejects(text: str) -> None:
    with pytest.raises(BadRequest, match="invalid digest format"):
        parse_digest(text)


def test_blob_named_by_its_digest(store: Store) -> None:
    digest = store.blobs.write_bytes(b"hello")
    assert digest == _digest(b"hello")
    path = store.blobs.path(digest)
    assert path.name == "sha256-" + digest[7:]
    assert path.read_bytes() == b"hello"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert store.blobs.write_bytes(b"hello") == digest  # idempotent


def test_stream_mismatch_leaves_nothing(store: Store) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"def"

    wrong = "sha256:" + "0" * 64
    with pytest.raises(DigestMismatch):
        asyncio.run(store.blobs.write_stream(chunks(), wrong))
    assert list(store.blobs.root.iterdir()) == []
    right = asyncio.run(store.blobs.write_stream(chunks(), _digest(b"abcdef")))
    assert store.blobs.read_bytes(right) == b"abcdef"


def test_interrupted_write_leaves_nothing(store: Store) -> None:
    def chunks() -> object:
        yield b"part"
        raise OSError("disk gone")

    with pytest.raises(OSError):
        store.blobs.write_chunks(chunks())  # type: ignore[arg-type]
    assert list(store.blobs.root.iterdir()) == []


def test_missing_blob(store: Store) -> None:
    with pytest.raises(NotFound):
        store.blobs.read_bytes("sha256:" + "1" * 64)


def _manifest(store: Store, *payloads: bytes) -> Manifest:
    layers = [Layer(media_types.SYSTEM, store.blobs.write_bytes(p), len(p)) for p in payloads]
    config = store.blobs.write_bytes(b"{}")
    return Manifest(Layer(media_types.CONFIG, config, 2), layers)


def test_manifest_round_trip_and_layout(store: Store) -> None:
    manifest = _manifest(store, b"one", b"two")
    raw = manifest.to_bytes()
    assert raw.endswith(b"}\n") and b" " not in raw
    name = Name.parse("someone/thing:v2")
    store.manifests.write(name, raw)
    path = store.root / "manifests" / "registry.ollama.ai" / "someone" / "thing" / "v2"
    assert path.read_bytes() == raw
    stored = store.manifests.get(Name.parse("SomeOne/Thing:V2"))
    assert stored is not None
    assert stored.manifest == manifest
    assert stored.digest == hashlib.sha256(raw).hexdigest()
    assert stored.manifest.size == 2 + 3 + 3
    doc = json.loads(raw)
    assert doc["mediaType"] == media_types.MANIFEST
    assert doc["layers"][0]["mediaType"] == media_types.SYSTEM


def test_write_reuses_existing_spelling(store: Store) -> None:
    raw = _manifest(store, b"x").to_bytes()
    store.manifests.write(Name.parse("mymodel"), raw)
    written = store.manifests.write(Name.parse("MyModel"), raw)
    assert written.model == "mymodel"
    assert [n.model for n, _ in store.manifests.paths()] == ["mymodel"]


def test_delete_prunes_empty_directories(store: Store) -> None:
    raw = _manifest(store, b"x").to_bytes()
    store.manifests.write(Name.parse("ns/model:tag"), raw)
    assert store.manifests.delete(Name.parse("ns/model:tag"))
    assert list((store.root / "manifests").iterdir()) == []
    assert not store.manifests.delete(Name.parse("ns/model:tag"))


def test_prune_keeps_referenced_blobs(store: Store) -> None:
    kept = _manifest(store, b"kept")
    store.manifests.write(Name.parse("a"), kept.to_bytes())
    orphan = store.blobs.write_bytes(b"orphan")
    assert store.prune_blobs() == [orphan]
    assert all(store.blobs.exists(d) for d in kept.digests())


def test_prune_refuses_when_a_manifest_is_unreadable(store: Store) -> None:
    orphan = store.blobs.write_bytes(b"orphan")
    bad = store.root / "manifests" / "registry.ollama.ai" / "library" / "bad" / "latest"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    assert store.prune_blobs() == []
    assert store.blobs.exists(orphan)


def test_housekeeping_fixes_names_and_keeps_partials(store: Store) -> None:
    hexdigest = hashlib.sha256(b"legacy").hexdigest()
    (store.blobs.root / f"sha256:{hexdigest}").write_bytes(b"legacy")
    (store.blobs.root / ".tmp-abc").write_bytes(b"junk")
    partial = store.blobs.root / f"sha256-{'2' * 64}-partial"
    partial.write_bytes(b"half")
    manifest = Manifest(Layer(media_types.CONFIG, f"sha256:{hexdigest}", 6), [])
    store.manifests.write(Name.parse("legacy"), manifest.to_bytes())
    store.housekeeping(prune=True)
    assert (store.blobs.root / f"sha256-{hexdigest}").exists()
    assert not (store.blobs.root / ".tmp-abc").exists()
    assert partial.exists()
