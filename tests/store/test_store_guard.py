"""Concurrent store edits (issue 10 item 2): pins, publish, remove, a walk that survives deletes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pollama.errors import PollamaError
from pollama.models.create import CreateInput, Creator
from pollama.models.manage import copy_model, delete_model
from pollama.names import Name
from pollama.store import Store, media_types
from pollama.store.blobs import digest_bytes
from pollama.store.manifest import Layer, Manifest
from tests.fixtures.synthetic_gguf import write_tiny_gguf


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "models")
    s.ensure()
    return s


def _manifest(store: Store, *texts: bytes) -> bytes:
    layers = [Layer(media_types.SYSTEM, store.blobs.write_bytes(t), len(t)) for t in texts]
    config = store.blobs.write_bytes(b"{}\n")
    return Manifest(Layer(media_types.CONFIG, config, 3), layers).to_bytes()


def test_prune_spares_pinned_blobs(store: Store) -> None:
    digest = store.blobs.write_bytes(b"in use by a create in progress")
    with store.guard.pinned([digest]):
        assert store.prune_blobs({digest}) == []
        assert store.blobs.exists(digest)
    assert store.prune_blobs({digest}) == [digest]
    assert not store.blobs.exists(digest)


def test_pins_are_counted(store: Store) -> None:
    digest = store.blobs.write_bytes(b"shared")
    with store.guard.pinned([digest]):
        with store.guard.pinned() as second:
            second.add(digest, digest)
        assert store.guard.is_pinned(digest)
    assert not store.guard.is_pinned(digest)


def test_publish_refuses_a_manifest_whose_blob_is_gone(store: Store) -> None:
    raw = _manifest(store, b"system text")
    store.blobs.delete(digest_bytes(b"system text"))
    with pytest.raises(PollamaError) as refused:
        store.publish(Name.parse("m"), raw, prune=True)
    assert refused.value.message == f'blob "{digest_bytes(b"system text")}" not found'
    assert store.manifests.get(Name.parse("m")) is None


def test_publish_prunes_only_what_the_old_version_alone_used(store: Store) -> None:
    name = Name.parse("m")
    store.publish(name, _manifest(store, b"old", b"kept"), prune=True)
    _, removed = store.publish(name, _manifest(store, b"new", b"kept"), prune=True)
    assert removed == [digest_bytes(b"old")]
    assert store.blobs.exists(digest_bytes(b"kept"))


def test_remove_deletes_manifest_and_unshared_blobs(store: Store) -> None:
    store.publish(Name.parse("a"), _manifest(store, b"shared", b"only a"), prune=True)
    store.publish(Name.parse("b"), _manifest(store, b"shared"), prune=True)
    assert store.remove(Name.parse("a")) is not None
    assert store.remove(Name.parse("a")) is None
    assert not store.blobs.exists(digest_bytes(b"only a"))
    assert store.blobs.exists(digest_bytes(b"shared"))


def test_walk_skips_directories_that_vanish(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A concurrent delete removing a model directory mid-walk was a FileNotFoundError (500)."""
    store.manifests.write(Name.parse("a"), _manifest(store, b"a"))
    store.manifests.write(Name.parse("b"), _manifest(store, b"b"))
    real_iterdir = Path.iterdir
    gone = store.manifests.path(Name.parse("b")).parent

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        if self == gone:
            raise FileNotFoundError(2, "No such file or directory", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert [name.model for name, _ in store.manifests.paths()] == ["a"]
    assert store.manifests.referenced_digests() is not None


def test_referenced_digests_skips_a_manifest_deleted_after_listing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manifest gone between the listing and the read used to stop the prune (leaked blobs)."""
    store.manifests.write(Name.parse("a"), _manifest(store, b"a"))
    ghost = store.manifests.root / "registry.ollama.ai" / "library" / "ghost" / "latest"
    listed = [*store.manifests.paths(), (Name.parse("ghost"), ghost)]
    monkeypatch.setattr(store.manifests, "paths", lambda: iter(listed))
    assert store.manifests.referenced_digests() == set(
        Manifest.parse(store.manifests.path(Name.parse("a")).read_bytes()).digests()
    )


def test_copy_refuses_a_source_with_missing_blobs(store: Store) -> None:
    store.publish(Name.parse("src"), _manifest(store, b"text"), prune=True)
    store.blobs.delete(digest_bytes(b"text"))
    with pytest.raises(PollamaError, match='model "src" not found'):
        copy_model(store, "src", "dst")


def test_threads_creating_and_deleting_models_with_a_shared_layer(
    store: Store, tmp_path: Path
) -> None:
    """8 threads loop create r<i> (the same SYSTEM, so shared system and config blobs) and
    delete r<i>: every finished create leaves a complete model, no delete fails, and nothing
    is left behind but the base model's blobs."""
    creator = Creator(store)
    weights = store.blobs.import_file(write_tiny_gguf(tmp_path / "tiny.gguf"))
    base = Name.parse("keeper")
    list(creator.run(creator.prepare(CreateInput(model="keeper", files={"tiny.gguf": weights}))))
    errors: list[str] = []

    def worker(index: int) -> None:
        name = f"r{index}"
        for _ in range(25):
            try:
                plan = creator.prepare(CreateInput(model=name, source="keeper", system="shared"))
                list(creator.run(plan))
                model = store.model(Name.parse(name))
                assert model is not None
                missing = [d for d in model.manifest.digests() if not store.blobs.exists(d)]
                if missing:
                    errors.append(f"{name} created without blobs {missing}")
                delete_model(store, name)
            except Exception as exc:  # collected and reported below
                errors.append(f"{name}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    keeper = store.manifests.get(base)
    assert keeper is not None
    assert sorted(store.blobs.digests()) == sorted(keeper.manifest.digests())


def test_a_pin_taken_while_a_prune_removes_the_blob_sees_it_gone(store: Store) -> None:
    """The race the e2e loop found: a prune decides a shared text blob is unused, a create then
    pins it and finds it still there, and the prune deletes it. The check and the removal now
    hold the pins' lock, so the create's pin waits and then finds the blob gone and writes it."""
    from pollama.models.layers import LayerList

    data = b"shared system prompt"
    digest = store.blobs.write_bytes(data)
    removing = threading.Event()

    def slow_delete(d: str) -> None:
        removing.set()
        threading.Event().wait(0.2)  # the window in which the create pins and looks
        store.blobs.delete(d)

    pruner = threading.Thread(target=store.guard.remove_unpinned, args=([digest], slow_delete))
    pruner.start()
    assert removing.wait(5)
    with store.guard.pinned() as pins:
        layers = LayerList(store.blobs, pins)
        layers.add_blob(media_types.SYSTEM, data)
        pruner.join()
        assert store.blobs.exists(digest)
        assert digest in layers.created
