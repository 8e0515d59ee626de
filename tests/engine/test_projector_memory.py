"""A projector in the memory plan: its weights and a rough image compute buffer. Pure (the
GGUF headers are read, nothing is loaded)."""

from __future__ import annotations

from pathlib import Path

from pollama.gguf.metadata import read_gguf
from pollama.runner.memory import plan_memory
from pollama.runner.projector_memory import (
    ProjectorShape,
    projector_bytes,
    projector_compute_bytes,
    read_projector_shape,
)
from pollama.runner.types import RunnerSpec
from tests.fixtures.models import gemma_gguf_path
from tests.fixtures.projector import HEADS, IMAGE_SIZE, PATCH_SIZE, VISION_EMBD, write_projector


def test_the_shape_comes_from_the_clip_header(tmp_path: Path) -> None:
    path = write_projector(tmp_path / "mmproj.gguf")
    shape = read_projector_shape(path)
    assert shape.weights_bytes == read_gguf(path).tensor_data_bytes > 0
    assert (shape.image_size, shape.patch_size) == (IMAGE_SIZE, PATCH_SIZE)
    assert (shape.n_embd, shape.n_head) == (VISION_EMBD, HEADS)
    assert shape.n_patches == (IMAGE_SIZE // PATCH_SIZE) ** 2


def test_compute_grows_with_the_image_and_the_encoder() -> None:
    # a SigLIP-style 896 px / 14 px encoder: 4096 patches of 1152 wide, 16 heads
    siglip = ProjectorShape(0, 896, 14, 1152, 4304, 16)
    compute = projector_compute_bytes(siglip)
    assert 1024**3 < compute < 4 * 1024**3  # the order of what llama.cpp reserves for it
    assert projector_compute_bytes(ProjectorShape(0, 448, 14, 1152, 4304, 16)) < compute / 4


def test_a_spec_with_a_projector_plans_for_it(tmp_path: Path) -> None:
    path = write_projector(tmp_path / "mmproj.gguf")
    plain = RunnerSpec(model_path=gemma_gguf_path(), num_ctx=2048)
    with_projector = RunnerSpec(model_path=gemma_gguf_path(), num_ctx=2048, projector=path)
    assert plan_memory(plain).projector == 0
    planned = plan_memory(with_projector)
    shape = read_projector_shape(path)
    assert planned.projector == projector_bytes(path)
    assert planned.projector == shape.weights_bytes + projector_compute_bytes(shape)
    assert planned.total == plan_memory(plain).total + planned.projector


def test_an_unreadable_projector_counts_nothing(tmp_path: Path) -> None:
    # the load then fails with the projector's own error, not the memory plan
    assert projector_bytes(tmp_path / "missing.gguf") == 0
    (tmp_path / "junk.gguf").write_bytes(b"not a gguf")
    assert projector_bytes(tmp_path / "junk.gguf") == 0
    assert projector_bytes(None) == 0
