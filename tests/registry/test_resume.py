"""A pull killed half-way (SIGKILL) resumes from its partial data: the registry serves only the
missing bytes the second time (counted by a proxy in front of a real docker-registry)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pollama.names import Name
from pollama.store import media_types
from pollama.store.blobs import digest_file
from pollama.store.manifest import Layer, Manifest
from tests.registry.helpers import new_store, registry_for, run_all
from tests.registry.registry_server import CountingProxy, registry

ROOT = Path(__file__).resolve().parents[2]
SIZE = 4 * 1024 * 1024


def _pull_process(store: Path, model: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.registry.pull_worker", str(store), model],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_pull_resumes_from_partial_data(tmp_path: Path) -> None:
    source = new_store(tmp_path / "a")
    weights = source.blobs.write_bytes(os.urandom(SIZE))
    config = source.blobs.write_bytes(b'{"model_format":"gguf"}\n')
    manifest = Manifest(
        Layer(media_types.CONFIG, config, source.blobs.size(config)),
        [Layer(media_types.MODEL, weights, SIZE)],
    )
    with registry(tmp_path / "registry") as running:
        push_name = f"{running.host}/resume/big:v1"
        source.manifests.write(Name.parse(push_name), manifest.to_bytes())
        run_all(registry_for(source).push(push_name, insecure=True))

        proxy = CountingProxy(int(running.host.split(":")[1]), delay_per_chunk=0.05)
        with proxy.running():
            model = f"{proxy.host}/resume/big:v1"
            target = new_store(tmp_path / "b")
            process = _pull_process(target.root, model)
            try:
                deadline = time.monotonic() + 60
                while proxy.blob_bytes < SIZE * 0.4 and process.poll() is None:
                    assert time.monotonic() < deadline, "the pull made no progress"
                    time.sleep(0.01)
            finally:
                process.kill()
                _, err = process.communicate(timeout=10)
            first = proxy.blob_bytes
            assert first < SIZE, f"the pull finished before it was killed: {err.decode()}"
            partial = target.blobs.root / f"{weights.replace(':', '-')}-partial"
            assert partial.exists() and not target.blobs.exists(weights)

            proxy.blob_bytes = 0
            proxy.delay_per_chunk = 0.0
            process = _pull_process(target.root, model)
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err.decode()
            second = proxy.blob_bytes

    assert digest_file(target.blobs.path(weights)) == weights
    assert not list(target.blobs.root.glob("*partial*"))
    assert target.manifests.get(Name.parse(model)) is not None
    # the second pull fetched (about) only what the first had not saved
    assert second < SIZE - SIZE * 0.3, (first, second)
    assert first + second >= SIZE
