"""Writing a ConversionPlan: names, shapes, types, values and metadata read back by gguf-py's
reader, and the streaming contract (one tensor loaded at a time, in order)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType

from pollama.convert.plan import KV, ConversionPlan, OutputType, PlannedTensor
from pollama.convert.safetensors_source import from_float32, to_float32
from pollama.convert.writer import write_plan


def constant(array: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: array


def sample_plan() -> ConversionPlan:
    weights = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
    return ConversionPlan(
        architecture="llama",
        metadata=[
            KV("general.architecture", "llama", GGUFValueType.STRING),
            KV("general.name", "tiny", GGUFValueType.STRING),
            KV("llama.block_count", 1, GGUFValueType.UINT32),
            KV("llama.rope.freq_base", 500000.0, GGUFValueType.FLOAT32),
            KV("gemma3.pattern", [True, False, True], GGUFValueType.ARRAY, GGUFValueType.BOOL),
            KV("tokenizer.ggml.tokens", ["a", "b"], GGUFValueType.ARRAY, GGUFValueType.STRING),
            KV("general.file_type", 99, GGUFValueType.UINT32),  # the writer's own key wins
        ],
        tensors=[
            PlannedTensor("w32", (3, 4), "F32", constant(weights)),
            PlannedTensor("w16", (3, 4), "F16", constant(weights.astype(np.float16))),
            PlannedTensor("wbf", (3, 4), "BF16", constant(from_float32(weights, "BF16"))),
            PlannedTensor("norm", (4,), "F32", constant(np.ones(4, np.float32))),
        ],
        file_type="BF16",
    )


def field_values(reader: GGUFReader) -> dict[str, object]:
    return {name: field.contents() for name, field in reader.fields.items()}


def test_written_file_reads_back(tmp_path: Path) -> None:
    output = tmp_path / "out.gguf"
    write_plan(sample_plan(), output)
    reader = GGUFReader(output)
    values = field_values(reader)
    assert values["general.architecture"] == "llama"
    assert values["general.name"] == "tiny"
    assert values["llama.block_count"] == 1
    assert values["llama.rope.freq_base"] == 500000.0
    assert values["gemma3.pattern"] == [True, False, True]
    assert values["tokenizer.ggml.tokens"] == ["a", "b"]
    assert values["general.file_type"] == 32  # LLAMA_FTYPE_MOSTLY_BF16
    assert values["general.quantization_version"] == 2
    assert reader.fields["llama.block_count"].types == [GGUFValueType.UINT32]
    assert list(values).count("general.architecture") == 1

    tensors = {tensor.name: tensor for tensor in reader.tensors}
    assert list(tensors) == ["w32", "w16", "wbf", "norm"]
    assert {name: t.tensor_type for name, t in tensors.items()} == {
        "w32": GGMLQuantizationType.F32,
        "w16": GGMLQuantizationType.F16,
        "wbf": GGMLQuantizationType.BF16,
        "norm": GGMLQuantizationType.F32,
    }
    assert [list(t.shape) for t in tensors.values()] == [[4, 3], [4, 3], [4, 3], [4]]  # ggml order
    weights = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
    assert np.array_equal(tensors["w32"].data, weights)
    assert np.array_equal(tensors["w16"].data.astype(np.float32), weights)
    bf16 = tensors["wbf"].data.view(np.uint16).reshape(3, 4)
    assert np.array_equal(to_float32(bf16, "BF16"), weights)
    assert np.array_equal(tensors["norm"].data, np.ones(4))


@pytest.mark.parametrize(("file_type", "number"), [("F32", 0), ("F16", 1), ("BF16", 32)])
def test_file_type_numbers(tmp_path: Path, file_type: str, number: int) -> None:
    plan = ConversionPlan("qwen2", [], [], file_type)
    write_plan(plan, tmp_path / "out.gguf")
    assert field_values(GGUFReader(tmp_path / "out.gguf"))["general.file_type"] == number


def test_tensors_stream_one_at_a_time(tmp_path: Path) -> None:
    events: list[str] = []
    previous: list[weakref.ref[np.ndarray]] = []

    def loader(index: int, dtype: OutputType) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            # The tensor written before this one is no longer held by anyone.
            assert all(ref() is None for ref in previous)
            events.append(f"load {index}")
            array = from_float32(np.full((8, 8), index, dtype=np.float32), dtype)
            previous.append(weakref.ref(array))
            return array

        return load

    types: list[OutputType] = ["F32", "F16", "BF16", "F16"]
    plan = ConversionPlan(
        "llama",
        [],
        [PlannedTensor(f"t{i}", (8, 8), dtype, loader(i, dtype)) for i, dtype in enumerate(types)],
    )
    write_plan(plan, tmp_path / "out.gguf", lambda done, total: events.append(f"{done}/{total}"))
    assert events == ["load 0", "1/4", "load 1", "2/4", "load 2", "3/4", "load 3", "4/4"]
    tensors = GGUFReader(tmp_path / "out.gguf").tensors
    assert [float(t.data.astype(np.float32).ravel()[0]) for t in tensors[:2]] == [0.0, 1.0]


def test_a_failing_load_leaves_no_file(tmp_path: Path) -> None:
    def broken() -> np.ndarray:
        raise OSError("disk gone")

    plan = ConversionPlan(
        "llama",
        [],
        [
            PlannedTensor("ok", (2,), "F32", constant(np.zeros(2, np.float32))),
            PlannedTensor("bad", (2,), "F32", broken),
        ],
    )
    output = tmp_path / "out.gguf"
    with pytest.raises(OSError, match="disk gone"):
        write_plan(plan, output)
    assert not output.exists()


@pytest.mark.parametrize(
    "array",
    [np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float16), np.zeros((3, 2), np.float32)],
)
def test_a_load_not_matching_the_plan_is_an_error(tmp_path: Path, array: np.ndarray) -> None:
    plan = ConversionPlan("llama", [], [PlannedTensor("w", (3, 2), "F32", constant(array))])
    if array.shape == (3, 2) and array.dtype == np.float32:
        write_plan(plan, tmp_path / "out.gguf")  # the control: matching is fine
        return
    with pytest.raises(ValueError, match=r"^w: loaded "):
        write_plan(plan, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()
