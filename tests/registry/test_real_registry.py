"""Pull and push against a real OCI registry (docker-registry) on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pollama.errors import PollamaError
from pollama.names import Name
from pollama.registry import DigestMismatch, ManifestNotFound
from pollama.store.blobs import digest_file
from tests.fixtures.synthetic_gguf import write_tiny_gguf
from tests.registry.helpers import create_model, new_store, registry_for, run_all, statuses
from tests.registry.registry_server import RunningRegistry, registry


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def _big_gguf(path: Path) -> Path:
    """A synthetic GGUF of ~200 KB, so its blob spans several parts."""
    return write_tiny_gguf(path, n_tensors=200)


def test_push_then_pull_gives_identical_manifest_and_verified_blobs(
    plain: RunningRegistry, tmp_path: Path
) -> None:
    source = new_store(tmp_path / "a")
    model = f"{plain.host}/tests/tiny:v1"
    create_model(source, model, _big_gguf(tmp_path / "big.gguf"))
    pushed = run_all(registry_for(source).push(model, insecure=True))
    assert statuses(pushed)[0] == "retrieving manifest"
    assert statuses(pushed)[-2:] == ["pushing manifest", "success"]

    target = new_store(tmp_path / "b")
    pulled = run_all(registry_for(target).pull(model, insecure=True))
    order = statuses(pulled)
    assert order[0] == "pulling manifest"
    assert order[-3:] == ["verifying sha256 digest", "writing manifest", "success"]

    original = source.manifests.get(Name.parse(model))
    copy = target.manifests.get(Name.parse(model))
    assert original is not None and copy is not None
    assert copy.raw == original.raw
    for digest in copy.manifest.digests():
        assert digest_file(target.blobs.path(digest)) == digest
    assert not list(target.blobs.root.glob("*partial*"))


def test_missing_tag_gives_ollamas_error(plain: RunningRegistry, tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with pytest.raises(ManifestNotFound, match=r"^pull model manifest: file does not exist$"):
        run_all(registry_for(store).pull(f"{plain.host}/tests/nothing:here", insecure=True))
    assert not list(store.manifests.root.rglob("*"))


def test_http_name_needs_insecure(plain: RunningRegistry, tmp_path: Path) -> None:
    with pytest.raises(PollamaError, match=r"^insecure protocol http$"):
        run_all(registry_for(new_store(tmp_path)).pull(f"http://{plain.host}/tests/tiny:v1"))


def test_corrupted_blob_is_refused_with_nothing_left(
    plain: RunningRegistry, tmp_path: Path
) -> None:
    source = new_store(tmp_path / "a")
    model = f"{plain.host}/tests/corrupt:v1"
    # weights of their own: the corrupted blob must not be one another test pulls
    weights_file = write_tiny_gguf(tmp_path / "own.gguf", n_tensors=150)
    create_model(source, model, weights_file, system="to be corrupted")
    run_all(registry_for(source).push(model, insecure=True))
    stored = source.manifests.get(Name.parse(model))
    assert stored is not None
    weights = stored.manifest.layers[0].digest
    data = plain.blob_data(weights)
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, one byte flipped
    data.write_bytes(bytes(raw))

    target = new_store(tmp_path / "b")
    with pytest.raises(DigestMismatch) as caught:
        run_all(registry_for(target).pull(model, insecure=True))
    assert caught.value.message.startswith(
        f"digest mismatch, file must be downloaded again: want {weights}, got sha256:"
    )
    assert not target.blobs.exists(weights)
    # The corrupt blob's partial data is gone; other layers cancelled mid-way may keep theirs
    # (verified, resumable data for the next pull).
    assert not list(target.blobs.root.glob(f"sha256-{weights[7:]}*"))
    assert target.manifests.get(Name.parse(model)) is None


def test_present_layers_are_skipped_and_unused_ones_pruned(
    plain: RunningRegistry, tmp_path: Path
) -> None:
    source = new_store(tmp_path / "a")
    model = f"{plain.host}/tests/versions:latest"
    create_model(source, model, system="version one")
    run_all(registry_for(source).push(model, insecure=True))
    target = new_store(tmp_path / "b")
    run_all(registry_for(target).pull(model, insecure=True))
    first = target.manifests.get(Name.parse(model))
    assert first is not None

    create_model(source, model, system="version two")  # same weights, new system layer
    run_all(registry_for(source).push(model, insecure=True))
    events = run_all(registry_for(target).pull(model, insecure=True))
    weights = first.manifest.layers[0]
    skipped = [e for e in events if e.get("digest") == weights.digest]
    assert skipped == [
        {
            "status": f"pulling {weights.digest[7:19]}",
            "digest": weights.digest,
            "total": weights.size,
            "completed": weights.size,
        }
    ]
    assert "removing unused layers" in statuses(events)
    second = target.manifests.get(Name.parse(model))
    assert second is not None
    gone = set(first.manifest.digests()) - set(second.manifest.digests())
    assert gone and not any(target.blobs.exists(d) for d in gone)
    assert all(target.blobs.exists(d) for d in second.manifest.digests())


def test_push_mounts_blobs_from_another_repository(plain: RunningRegistry, tmp_path: Path) -> None:
    store = new_store(tmp_path)
    first = f"{plain.host}/tests/mount-source:v1"
    create_model(store, first, _big_gguf(tmp_path / "big.gguf"))
    run_all(registry_for(store).push(first, insecure=True))
    second = f"{plain.host}/other/mount-target:v1"
    create_model(store, second, _big_gguf(tmp_path / "big.gguf"), system="another")
    events = run_all(registry_for(store).push(second, insecure=True))
    assert statuses(events)[-1] == "success"
    target = new_store(tmp_path / "pulled")
    run_all(registry_for(target).pull(second, insecure=True))
    copy = target.manifests.get(Name.parse(second))
    assert copy is not None and all(target.blobs.exists(d) for d in copy.manifest.digests())
