"""Pull robustness against an in-memory registry: retries, stalls, drops, CDN redirects, servers
without ranges, resumed partial files, shared downloads."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pollama.errors import PollamaError
from pollama.names import Name
from pollama.registry import Registry, RegistryConfig
from pollama.registry.parts import PartialBlob, plan_parts
from pollama.store import Store
from pollama.store.blobs import digest_file
from tests.registry.fake_registry import CDN, REGISTRY, FakeRegistry, digest_of
from tests.registry.helpers import SMALL_PARTS, new_store, run_all, statuses

MODEL = f"{REGISTRY}/library/m:latest"
WEIGHTS = os.urandom(200_000)  # 4 parts of 64 KB at most


def _registry(store: Store, fake: FakeRegistry, **policy: Any) -> Registry:
    return Registry(
        store,
        config=lambda: RegistryConfig(),
        transport=fake.transport(),
        policy=dataclasses.replace(SMALL_PARTS, **{"stall_timeout": 0.2, **policy}),
    )


def _fake(**switches: Any) -> FakeRegistry:
    fake = FakeRegistry(**switches)
    fake.add_model("library/m", "latest", [WEIGHTS])
    return fake


def _assert_pulled(store: Store) -> None:
    stored = store.manifests.get(Name.parse(MODEL))
    assert stored is not None
    for digest in stored.manifest.digests():
        assert digest_file(store.blobs.path(digest)) == digest
    assert not list(store.blobs.root.glob("*partial*"))


def test_pull_stream_has_ollamas_shape(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    events = run_all(_registry(store, _fake()).pull(MODEL))
    weights = digest_of(WEIGHTS)
    assert statuses(events) == [
        "pulling manifest",
        f"pulling {weights[7:19]}",
        f"pulling {[e for e in events if 'digest' in e][-1]['digest'][7:19]}",
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    ticks = [e for e in events if e.get("digest") == weights]
    assert ticks[0] == {"status": f"pulling {weights[7:19]}", "digest": weights, "total": 200_000}
    assert ticks[-1]["completed"] == 200_000
    _assert_pulled(store)


def test_ranged_parts_cover_the_blob(tmp_path: Path) -> None:
    fake = _fake()
    run_all(_registry(new_store(tmp_path), fake).pull(MODEL))
    ranges = sorted(
        r.headers["range"] for r in fake.blob_gets() if digest_of(WEIGHTS) in r.url.path
    )
    assert len(ranges) == len(plan_parts(200_000, SMALL_PARTS)) > 1


@pytest.mark.parametrize("switch", [{"fail_next": 3}, {"drop_next": 3}, {"stall_next": 2}], ids=str)
def test_transient_failures_are_retried(tmp_path: Path, switch: dict[str, int]) -> None:
    store = new_store(tmp_path)
    run_all(_registry(store, _fake(**switch)).pull(MODEL))
    _assert_pulled(store)


def test_a_dead_registry_gives_up_after_the_retries(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with pytest.raises(PollamaError, match="max retries exceeded"):
        run_all(_registry(store, _fake(fail_next=1000), max_retries=3).pull(MODEL))
    assert store.manifests.get(Name.parse(MODEL)) is None
    assert (store.blobs.root / f"{digest_of(WEIGHTS).replace(':', '-')}-partial").exists()


def test_cdn_redirect_gets_no_credentials(tmp_path: Path) -> None:
    fake = _fake(cdn=True, token="secret-token")
    store = new_store(tmp_path)
    run_all(_registry(store, fake).pull(MODEL))
    _assert_pulled(store)
    cdn = [r for r in fake.log if r.url.host == CDN]
    assert cdn and all("authorization" not in r.headers for r in cdn)
    to_registry = [r for r in fake.log if r.url.host == REGISTRY and "/blobs/" in r.url.path]
    assert all(r.headers.get("authorization") == "Bearer secret-token" for r in to_registry)


def test_server_without_ranges_is_read_as_one_stream(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    run_all(_registry(store, _fake(ranges=False)).pull(MODEL))
    _assert_pulled(store)


def test_resume_from_saved_parts(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    digest = digest_of(WEIGHTS)
    partial = PartialBlob(store.blobs.root, digest)
    parts = plan_parts(len(WEIGHTS), SMALL_PARTS)
    partial.start(parts, len(WEIGHTS))
    with open(partial.path, "r+b") as f:  # the first part and half the second are on disk
        half = parts[1].offset + parts[1].size // 2
        f.write(WEIGHTS[:half])
    parts[0].completed = parts[0].size
    parts[1].completed = parts[1].size // 2
    for part in parts[:2]:
        partial.save(part)
    assert json.loads(partial.state_path(1).read_text())["Completed"] == parts[1].size // 2

    fake = _fake()
    events = run_all(_registry(store, fake).pull(MODEL))
    _assert_pulled(store)
    first = next(e for e in events if e.get("digest") == digest)
    assert first["completed"] == half
    sent_for_weights = fake.blob_bytes_sent - len(b'{"model_format":"gguf"}\n')
    assert sent_for_weights == len(WEIGHTS) - half


def test_two_pulls_share_one_download(tmp_path: Path) -> None:
    fake = _fake()
    store = new_store(tmp_path)
    registry = _registry(store, fake)

    async def both() -> list[list[dict[str, Any]]]:
        async def drain(events: Any) -> list[dict[str, Any]]:
            return [e async for e in events]

        return list(await asyncio.gather(drain(registry.pull(MODEL)), drain(registry.pull(MODEL))))

    first, second = asyncio.run(both())
    assert statuses(first)[-1] == statuses(second)[-1] == "success"
    _assert_pulled(store)
    weight_gets = [r for r in fake.blob_gets() if digest_of(WEIGHTS) in r.url.path]
    assert len(weight_gets) == len(plan_parts(len(WEIGHTS), SMALL_PARTS))


def test_cancelled_pull_keeps_its_partial_data(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    registry = _registry(store, _fake(stall_next=100), stall_timeout=30.0)

    async def cancel_midway() -> None:
        events = registry.pull(MODEL)
        async for event in events:
            if event.get("completed"):
                break
        await events.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)

    asyncio.run(cancel_midway())
    partial = PartialBlob(store.blobs.root, digest_of(WEIGHTS))
    saved = partial.load(len(WEIGHTS))
    assert saved is not None and sum(p.completed for p in saved) > 0
    assert store.manifests.get(Name.parse(MODEL)) is None


def test_a_full_disk_fails_the_pull_with_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing a part is no network trouble: no retries, and the error says what
    could not be written where, as Ollama words it; the partial file stays for a resume."""
    import errno

    from pollama.registry import download

    def full(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download.os, "pwrite", full)
    store = new_store(tmp_path)
    with pytest.raises(PollamaError) as failure:
        run_all(_registry(store, _fake()).pull(MODEL))
    message = failure.value.message
    assert message.startswith("write ") and message.endswith(": no space left on device")
    assert "-partial" in message
    assert store.manifests.get(Name.parse(MODEL)) is None
